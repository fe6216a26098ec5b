import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
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
    summary: 'Every gateway host: lease, capacity, gateways per state, tunnels, failovers, cordon and drain, job queue depth (operators)',
    description:
      'A host is live while it holds its lease (renewed about every second, expiring after `livenessSeconds`); once it expires, live hosts take its gateways over. New gateways go to live hosts that are not cordoned. `queue` is null when Redis did not answer within 3 s.',
  })
  @ApiOkResponse({ type: [GatewayHostDto] })
  @ApiErrors()
  list(): Promise<GatewayHostDto[]> {
    return this.hosts.list();
  }

  @Post(':id/cordon')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cordon a host: no new gateways are placed on it (its own keep running)' })
  @ApiOkResponse({ type: GatewayHostDto })
  @ApiErrors(404)
  cordon(@Param('id') id: string): Promise<GatewayHostDto> {
    return this.hosts.cordon(id);
  }

  @Post(':id/uncordon')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a cordon or a drain: the host takes new gateways again' })
  @ApiOkResponse({ type: GatewayHostDto })
  @ApiErrors(404)
  uncordon(@Param('id') id: string): Promise<GatewayHostDto> {
    return this.hosts.uncordon(id);
  }

  @Post(':id/drain')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Drain a host: cordon it and move its gateways to other hosts, one at a time',
    description: "Each gateway moves once the previous one's tunnels are connected again; `drain` in the host list shows the progress.",
  })
  @ApiOkResponse({ type: GatewayHostDto })
  @ApiErrors(404)
  drain(@Param('id') id: string): Promise<GatewayHostDto> {
    return this.hosts.drain(id);
  }

  @Get(':id/failed-jobs')
  @ApiOperation({
    summary: "The host queue's failed jobs with the worker's error, newest first (operators; the hosts page's drill-down)",
    description: 'At most 50 of the last 100 the queue keeps. `available` is false when Redis did not answer within 3 s.',
  })
  @ApiOkResponse({ type: GatewayHostFailedJobsDto })
  @ApiErrors(404)
  failedJobs(@Param('id') id: string): Promise<GatewayHostFailedJobsDto> {
    return this.hosts.failedJobs(id);
  }
}
