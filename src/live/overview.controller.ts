import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { OverviewDto } from './overview.dto';
import { OverviewService } from './overview.service';

@ApiTags('live')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get()
  @ApiOperation({
    summary: 'The landing page: counts by state, tunnels failing now with reasons, gateways expiring within 7 days, recent alerts, the topology',
  })
  @ApiOkResponse({ type: OverviewDto })
  get(@CurrentPrincipal() p: Principal): Promise<OverviewDto> {
    return this.overview.forTenant(tenantOf(p));
  }
}
