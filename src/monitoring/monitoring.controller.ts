import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { GatewayMetricsDto, MetricsQueryDto, TunnelMetricsDto } from './metrics.dto';
import { MonitoringService } from './monitoring.service';

const WINDOW =
  'range=1h|6h|12h|1d (default 1h, ending now) or from/to (ISO 8601, from < to, at most 31 days). ' +
  'Series hold at most 360 points: 1h at 10 s, 6h at 60 s, 12h at 120 s, 1d at 240 s; custom windows the smallest readable step that fits. ' +
  'Samples are taken every 10 s by the gateway host and kept 30 days (operator settings).';

@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1')
export class MonitoringController {
  constructor(private readonly monitoring: MonitoringService) {}

  @Get('vpn-tunnels/:id/metrics')
  @ApiTags('vpn-tunnels')
  @ApiOperation({ summary: 'Tunnel traffic and health for charts: bits/s and packets/s in and out, health, byte and packet counters', description: WINDOW })
  @ApiOkResponse({ type: TunnelMetricsDto })
  @ApiErrors(400, 404)
  tunnel(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: MetricsQueryDto): Promise<TunnelMetricsDto> {
    return this.monitoring.tunnelMetrics(tenantOf(p), id, query);
  }

  @Get('vpn-gateways/:id/metrics')
  @ApiTags('vpn-gateways')
  @ApiOperation({
    summary: 'Gateway external NIC traffic for charts: bits/s and packets/s received and sent, outbound utilisation of its bandwidth',
    description: WINDOW,
  })
  @ApiOkResponse({ type: GatewayMetricsDto })
  @ApiErrors(400, 404)
  gateway(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: MetricsQueryDto): Promise<GatewayMetricsDto> {
    return this.monitoring.gatewayMetrics(tenantOf(p), id, query);
  }
}
