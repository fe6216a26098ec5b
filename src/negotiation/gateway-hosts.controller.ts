import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { GatewayHostDto, GatewayHostFailedJobsDto } from './gateway-hosts.dto';
import { GatewayHostsService } from './gateway-hosts.service';

/** Operators see the machines that run gateways (the console's hosts page). */
@ApiTags('gateway-hosts')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/gateway-hosts')
export class GatewayHostsController {
  constructor(private readonly hosts: GatewayHostsService) {}

  @Get()
  @ApiOperation({
    summary: 'Every gateway host: heartbeat and liveness, capacity, gateways placed per state, job queue depth (operators)',
    description: 'A host is live while its worker\'s heartbeat is younger than `livenessSeconds`; only live hosts get new gateways. `queue` is null when Redis did not answer within 3 s.',
  })
  @ApiOkResponse({ type: [GatewayHostDto] })
  @ApiErrors()
  list(): Promise<GatewayHostDto[]> {
    return this.hosts.list();
  }

  @Get(':id/failed-jobs')
  @ApiOperation({
    summary: 'The host queue\'s failed jobs with the worker\'s error, newest first (operators; the hosts page\'s drill-down)',
    description: 'At most 50 of the last 100 the queue keeps. `available` is false when Redis did not answer within 3 s.',
  })
  @ApiOkResponse({ type: GatewayHostFailedJobsDto })
  @ApiErrors(404)
  failedJobs(@Param('id') id: string): Promise<GatewayHostFailedJobsDto> {
    return this.hosts.failedJobs(id);
  }
}
