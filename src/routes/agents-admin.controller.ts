import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { Roles } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { AgentStatusDto, AgentTokenDto } from './routes.dto';
import { RoutesService } from './routes.service';
import { Optional } from '../common/validators';

class AgentsQueryDto {
  @ApiPropertyOptional() @Optional() @IsString() vpcId?: string;
  @ApiPropertyOptional() @Optional() @IsString() tenantId?: string;
}

/** Operators issue and revoke agent tokens and see every agent's state. */
@ApiTags('agent')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1')
export class AgentsAdminController {
  constructor(private readonly routes: RoutesService) {}

  @Post('instances/:id/agent-token')
  @ApiOperation({ summary: "Issue (or rotate) the instance's route agent token; shown once" })
  @ApiCreatedResponse({ type: AgentTokenDto })
  @ApiErrors(404)
  async issueInstance(@Param('id') id: string): Promise<AgentTokenDto> {
    return { token: await this.routes.issueInstanceToken(id), instanceId: id };
  }

  @Delete('instances/:id/agent-token')
  @HttpCode(204)
  @ApiErrors(404)
  revokeInstance(@Param('id') id: string): Promise<void> {
    return this.routes.revokeInstanceToken(id);
  }

  @Post('vpcs/:id/router-token')
  @ApiOperation({ summary: "Issue (or rotate) the token of the VPC router's agent; shown once" })
  @ApiCreatedResponse({ type: AgentTokenDto })
  @ApiErrors(404)
  async issueRouter(@Param('id') id: string): Promise<AgentTokenDto> {
    return { token: await this.routes.issueRouterToken(id), vpcId: id };
  }

  @Delete('vpcs/:id/router-token')
  @HttpCode(204)
  @ApiErrors(404)
  revokeRouter(@Param('id') id: string): Promise<void> {
    return this.routes.revokeRouterToken(id);
  }

  @Get('agents')
  @ApiOperation({ summary: 'Every route agent: version, last check-in, applied vs desired route version, errors' })
  @ApiOkResponse({ type: [AgentStatusDto] })
  agents(@Query() q: AgentsQueryDto): Promise<AgentStatusDto[]> {
    return this.routes.agents(q);
  }
}
