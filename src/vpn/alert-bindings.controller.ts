// Binding a gateway or tunnel to an alert template: the "alert template (changeable)" of the
// spec's detail pages, as sub-resources of the gateway and tunnel endpoints.
import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { GatewayDto } from './gateways/gateway.dto';
import { GatewaysService, gatewayView } from './gateways/gateways.service';
import { TunnelDto } from './tunnels/tunnel.dto';
import { tunnelView } from './tunnels/tunnel-view';
import { TunnelsService } from './tunnels/tunnels.service';
import { BindAlertTemplateDto } from '../alerts/alert-template.dto';
import { AlertTemplatesService } from '../alerts/alert-templates.service';

const DESCRIPTION =
  "alertTemplateId: a template of this tenant (another tenant's answers 400, rule exists), or null for no alerts. " +
  'Open alerts of the previous template end as `cleared` at the next evaluation, without a notification.';

@ApiTags('vpn-gateways')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/vpn-gateways')
export class GatewayAlertTemplateController {
  constructor(
    private readonly templates: AlertTemplatesService,
    private readonly gateways: GatewaysService,
  ) {}

  @Put(':id/alert-template')
  @ApiOperation({ summary: 'Bind the gateway to an alert template', description: DESCRIPTION })
  @ApiOkResponse({ type: GatewayDto })
  @ApiErrors(400, 404)
  async bind(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: BindAlertTemplateDto): Promise<GatewayDto> {
    const tenantId = tenantOf(p);
    await this.gateways.get(tenantId, id); // 404 before 400: the URL names the resource
    await this.templates.bind(tenantId, 'gateway', id, body.alertTemplateId);
    return gatewayView(await this.gateways.get(tenantId, id));
  }
}

@ApiTags('vpn-tunnels')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/vpn-tunnels')
export class TunnelAlertTemplateController {
  constructor(
    private readonly templates: AlertTemplatesService,
    private readonly tunnels: TunnelsService,
  ) {}

  @Put(':id/alert-template')
  @ApiOperation({ summary: 'Bind the tunnel to an alert template (does not reconnect)', description: DESCRIPTION })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404)
  async bind(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: BindAlertTemplateDto): Promise<TunnelDto> {
    const tenantId = tenantOf(p);
    await this.tunnels.get(tenantId, id);
    await this.templates.bind(tenantId, 'tunnel', id, body.alertTemplateId);
    const tunnel = await this.tunnels.get(tenantId, id);
    return tunnelView(tunnel, await this.tunnels.subnetsById(tunnel.localSubnetIds));
  }
}
