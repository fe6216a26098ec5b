import { Body, Controller, Get, Headers, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { AgentReportDto, AgentRoutesDto, AgentRoutesQueryDto } from './routes.dto';
import { RoutesService } from './routes.service';
import { AgentTarget } from './agent-target.entity';
import { AgentTokenGuard, CurrentAgentTarget } from './agent-token.guard';

/**
 * What instance (and VPC router) agents call, with their own token rather than an API key. The
 * plain case of `GET routes` is answered before Nest's pipeline (agent-routes-fast-path.ts); its
 * errors, and the contract's description, are this controller's.
 */
@ApiTags('agent')
@ApiBearerAuth()
@Public()
@UseGuards(AgentTokenGuard)
@Controller('api/v1/agent')
export class RouteAgentController {
  constructor(private readonly routes: RoutesService) {}

  @Get('routes')
  @ApiOperation({
    summary: 'Desired routes of the calling instance; long-polls while `version` is current (up to `wait` s)',
    description:
      'With `appliedVersion` (and `error`) the request also carries the report of what the agent applied: one request per route change instead of a report and the next poll.',
  })
  @ApiOkResponse({ type: AgentRoutesDto })
  @ApiErrors(400)
  async desired(
    @CurrentAgentTarget() target: AgentTarget,
    @Headers('x-agent-version') agentVersion: string | undefined,
    @Query() q: AgentRoutesQueryDto,
  ): Promise<AgentRoutesDto> {
    return this.routes.agentPoll(target, q, agentVersion);
  }

  @Post('report')
  @HttpCode(204)
  @ApiOperation({
    summary: 'The version the agent applied, and what failed',
    description: 'Agents from 0.3.0 send this on their next long poll instead (`appliedVersion`, `error` of `GET /api/v1/agent/routes`).',
  })
  @ApiNoContentResponse()
  @ApiErrors(400)
  async report(@CurrentAgentTarget() target: AgentTarget, @Body() body: AgentReportDto): Promise<void> {
    await this.routes.report(target, body.appliedVersion, body.agentVersion, body.error ?? null);
  }
}
