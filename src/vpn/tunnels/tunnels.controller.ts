import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { configFileName, DEFAULT_VENDOR, renderRemoteConfig, vendorById } from '../../remote-config/vendors';
import { checkRemoteConfig, UnreadableConfigError } from '../../remote-config/config-check';
import { CheckRemoteConfigDto, RemoteConfigCheckDto } from '../../remote-config/config-check.dto';
import { NotExpressible, RenderError } from '../../strongswan/tunnel-model';
import { Conflict, ValidationFailed } from '../../common/errors';
import { violation } from '../../common/violations';
import { renderSourceOf, toRenderable } from './renderable';
import { randomUUID } from 'crypto';
import { JobDispatcher } from '../../jobs/job-dispatcher';
import type { TunnelProbe } from '../../jobs/job-catalogue';
import { diagnosisChecklist } from './tunnel-diagnosis';
import { TunnelDiagnosisDto } from './tunnel-diagnosis.dto';
import { RoutesService } from '../../routes/routes.service';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../../auth/principal';
import { ApiErrors } from '../../common/api-errors.decorator';
import { resolveListQuery } from '../../common/list-query';
import { BatchDeleteDto, BatchDeleteResultDto, UpdateNameRemarkDto } from '../gateways/gateway.dto';
import {
  ConfigQueryDto,
  CreateTunnelDto,
  IpsecPolicyDto,
  TunnelLogPageDto,
  TunnelLogQueryDto,
  TunnelDetailQueryDto,
  TunnelDto,
  TunnelListQueryDto,
  TunnelPageDto,
  UpdateIkePolicyDto,
  UpdateSubnetsDto,
  UpdateTunnelOptionsDto,
} from './tunnel.dto';
import { tunnelListView, tunnelView } from './tunnel-view';
import { TUNNEL_SORT } from './tunnels.queries';
import { TunnelEdit, TunnelsService } from './tunnels.service';
import { TunnelExportQueryDto, TunnelLogExportQueryDto } from '../vpn-export.dto';
import { resolveLang } from '../../exports/locale';
import { TUNNEL_LOG_SHEET, TUNNEL_SHEET } from '../vpn-sheets';
import { ApiXlsxExport, streamWorkbook } from '../../exports/workbook-stream';
import { VpnTunnel } from './vpn-tunnel.entity';

/** How long a diagnose waits for the gateway host: its probe takes ~3 s, a busy queue adds to it. */
const DIAGNOSE_TIMEOUT_MS = 15_000;

const RECONNECTS =
  "Saving reconnects the tunnel: its connection state goes back to connecting. The answer's remoteMustUpdate says whether the remote device must download its new configuration.";

@ApiTags('vpn-tunnels')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/vpn-tunnels')
export class TunnelsController {
  constructor(
    private readonly tunnels: TunnelsService,
    private readonly routes: RoutesService,
    private readonly jobs: JobDispatcher,
  ) {}

  private async view(t: VpnTunnel, psk?: string): Promise<TunnelDto> {
    return tunnelView(t, await this.tunnels.subnetsById(t.localSubnetIds), psk);
  }

  /** An edit's answer: the new tunnel, and whether the remote must download its configuration again. */
  private async edited(edit: Promise<TunnelEdit>): Promise<TunnelDto> {
    const { tunnel, remoteMustUpdate } = await edit;
    return { ...(await this.view(tunnel)), remoteMustUpdate };
  }

  @Get()
  @ApiOperation({
    summary: 'List VPN tunnels',
    description: `Sort by ${Object.keys(TUNNEL_SORT).join(', ')}; q searches name, ID, gateway and peer names and IPs.`,
  })
  @ApiOkResponse({ type: TunnelPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: TunnelListQueryDto): Promise<TunnelPageDto> {
    const { subnets, ...page } = await this.tunnels.list(tenantOf(p), resolveListQuery(query, TUNNEL_SORT), query);
    return { ...page, items: page.items.map((r) => tunnelListView(r, subnets)) };
  }

  // Declared before ':id', which would otherwise take "export.xlsx" for an id.
  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the whole list as Excel (never the PSK)',
    description: `The list's q, filters and sort (${Object.keys(TUNNEL_SORT).join(', ')}), no paging; lang=zh|en (default: Accept-Language, else zh).`,
  })
  @ApiXlsxExport('The VPN tunnels')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() query: TunnelExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.tunnels.exportRows(tenantOf(p), resolveListQuery(query, TUNNEL_SORT), query);
    await streamWorkbook(res, TUNNEL_SHEET, rows, { lang: resolveLang(query.lang, acceptLanguage) });
  }

  @Post()
  @ApiOperation({ summary: "Create a tunnel; IKE and IPsec policies default to the spec's values" })
  @ApiCreatedResponse({ type: TunnelDto })
  @ApiErrors(400, 409)
  async create(@CurrentPrincipal() p: Principal, @Body() body: CreateTunnelDto): Promise<TunnelDto> {
    const { tunnel, subnets } = await this.tunnels.create(tenantOf(p), body);
    return tunnelListView(tunnel, subnets);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Tunnel detail; the PSK only with includePsk=true' })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: TunnelDetailQueryDto): Promise<TunnelDto> {
    const tenantId = tenantOf(p);
    const tunnel = await this.tunnels.get(tenantId, id);
    const view = await this.view(tunnel, query.includePsk === 'true' ? await this.tunnels.revealPsk(tenantId, id) : undefined);
    return { ...view, routePush: await this.routes.pushStatus(tunnel) };
  }

  @Get(':id/config')
  @ApiOperation({
    summary: "Download the remote device's configuration for the tunnel (strongSwan, libreswan, Cisco IOS, Huawei)",
    description:
      "vendor (default strongswan-ipsec, the seed's ipsec.conf with the ipsec.secrets line): see GET /api/v1/remote-config/vendors. " +
      "side applies to strongswan-ipsec only: remote (default) is ready for the remote device (left/right, subnets and ids swapped); platform is the platform's view, as in the seed. " +
      "Every file is written from the remote device's point of view and contains the pre-shared key.",
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The configuration file, as an attachment' })
  @ApiErrors(400, 404, 409)
  async config(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: ConfigQueryDto, @Res() res: Response): Promise<void> {
    const vendor = vendorById(query.vendor ?? DEFAULT_VENDOR)!;
    if (query.side && !vendor.sides.includes(query.side)) {
      throw new ValidationFailed([
        violation(
          'side',
          'side_only_for_strongswan_ipsec',
          query.side,
          `side=${query.side} applies to vendor strongswan-ipsec only; leave side out for ${vendor.id}`,
        ),
      ]);
    }
    const tenantId = tenantOf(p);
    const tunnel = await this.tunnels.get(tenantId, id);
    const subnets = await this.tunnels.subnetsById(tunnel.localSubnetIds);
    const side = query.side ?? 'remote';
    let text: string;
    try {
      text = renderRemoteConfig(
        vendor.id,
        toRenderable(renderSourceOf(tunnel), (s) => subnets.get(s)?.cidr, await this.tunnels.revealPsk(tenantId, id)),
        side,
      );
    } catch (err) {
      // A setting this vendor's language cannot say (e.g. AES-GCM on Huawei): named, so the user can choose.
      if (err instanceof NotExpressible) throw new Conflict('vendor_cannot_express', err.message);
      // Stored data the renderer refuses (it never puts the PSK in its message).
      if (err instanceof RenderError) throw new Conflict('config_not_renderable', `the configuration cannot be rendered: ${err.message}`);
      throw err;
    }
    res.setHeader('Content-Type', vendor.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${configFileName(vendor, tunnel.id, side)}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  }

  @Post(':id/diagnose')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Diagnose the tunnel: a checklist of what can stop it, each with what was seen and what to do',
    description: `Runs on the gateway's host (up to ${DIAGNOSE_TIMEOUT_MS / 1000} s): does the peer answer IKE on UDP 500/4500 from the gateway's own namespace, are the SAs established and do their counters move; with the gateway's state, the last attempt's reason and the instances' routes. Changes nothing.`,
  })
  @ApiOkResponse({ type: TunnelDiagnosisDto })
  @ApiErrors(404)
  async diagnose(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<TunnelDiagnosisDto> {
    const tunnel = await this.tunnels.get(tenantOf(p), id);
    const gateway = tunnel.gateway!;
    let probe: TunnelProbe | null = null;
    let hostProblem: string | null = null;
    if (!gateway.hostId) hostProblem = 'the gateway is not placed on a gateway host yet';
    else {
      try {
        probe = (await this.jobs.ask(gateway.hostId, 'tunnel.diagnose', { tunnelId: id, requestId: randomUUID() }, DIAGNOSE_TIMEOUT_MS)) as TunnelProbe | null;
        if (!probe) hostProblem = `gateway host ${gateway.hostId} does not serve this gateway right now`;
      } catch (err) {
        hostProblem = `gateway host ${gateway.hostId} did not answer within ${DIAGNOSE_TIMEOUT_MS / 1000} s (${(err as Error).message})`;
      }
    }
    const routes = await this.routes.pushStatus(tunnel);
    const checks = diagnosisChecklist({
      gatewayState: gateway.resourceState,
      gatewayReason: gateway.stateReason,
      gatewayIp: gateway.externalIp!.address,
      peerIp: tunnel.peer!.ipAddress,
      connectionState: tunnel.connectionState,
      failure: tunnel.failureCode ? { code: tunnel.failureCode, message: tunnel.failureMessage ?? '' } : null,
      probe,
      hostProblem,
      routes,
    });
    return { ranAt: new Date().toISOString(), checks };
  }

  @Post(':id/check-remote-config')
  @HttpCode(200)
  @ApiOperation({
    summary: "Check a remote device's configuration text against the tunnel",
    description:
      'Reads strongSwan ipsec.conf or swanctl.conf, libreswan ipsec.conf, Cisco IOS and Huawei VRP / H3C Comware 5 (the formats of GET .../config) and compares it with what that download would say for this tunnel: every difference (version, mode, proposals, PFS, lifetimes, addresses, ids, subnets, DPD, the PSK when present, left/right swapped) with the lines it came from and the line to write instead. A text in none of those formats is a 400, not a guess. Changes nothing.',
  })
  @ApiOkResponse({ type: RemoteConfigCheckDto })
  @ApiErrors(400, 404, 409)
  async checkRemoteConfig(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: CheckRemoteConfigDto): Promise<RemoteConfigCheckDto> {
    const tenantId = tenantOf(p);
    const tunnel = await this.tunnels.get(tenantId, id);
    const subnets = await this.tunnels.subnetsById(tunnel.localSubnetIds);
    const renderable = toRenderable(renderSourceOf(tunnel), (s) => subnets.get(s)?.cidr, await this.tunnels.revealPsk(tenantId, id));
    try {
      return checkRemoteConfig(renderable, body.config, body.format);
    } catch (err) {
      // The text is never echoed: it may hold the PSK.
      if (err instanceof UnreadableConfigError) throw new ValidationFailed([violation('config', 'format_not_recognised', null, err.message)]);
      if (err instanceof RenderError) throw new Conflict('config_not_renderable', `the tunnel's configuration cannot be rendered: ${err.message}`);
      throw err;
    }
  }

  @Get(':id/logs')
  @ApiOperation({
    summary: "Connection log: negotiation attempts with result, reason and charon's lines; outages; config changes (newest first)",
    description:
      'Filters kind, result, reasonCode, from/to and q (text) combine; collapse=true folds consecutive identical entries into one with repeats and firstAt.',
  })
  @ApiOkResponse({ type: TunnelLogPageDto })
  @ApiErrors(400, 404)
  async logs(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() query: TunnelLogQueryDto): Promise<TunnelLogPageDto> {
    return this.tunnels.logs(tenantOf(p), id, query);
  }

  @Get(':id/logs/export.xlsx')
  @ApiOperation({
    summary: 'Download the connection log as Excel',
    description:
      "The log's filters (kind, result, reasonCode, from/to, q) and collapse, every matching entry newest first, no paging; lang=zh|en (default: Accept-Language, else zh).",
  })
  @ApiXlsxExport("The tunnel's connection log")
  @ApiErrors(400, 404)
  async exportLogs(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() query: TunnelLogExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = await this.tunnels.logExportRows(tenantOf(p), id, query);
    await streamWorkbook(res, TUNNEL_LOG_SHEET, rows, { lang: resolveLang(query.lang, acceptLanguage) });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or change the remark (any state; does not reconnect)' })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404)
  async rename(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateNameRemarkDto): Promise<TunnelDto> {
    return this.view(await this.tunnels.rename(tenantOf(p), id, body));
  }

  @Put(':id/subnets')
  @ApiOperation({ summary: 'Replace local subnets and remote CIDRs', description: RECONNECTS })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404, 409)
  async updateSubnets(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateSubnetsDto): Promise<TunnelDto> {
    return this.edited(this.tunnels.updateSubnets(tenantOf(p), id, body));
  }

  @Put(':id/ike-policy')
  @ApiOperation({ summary: 'Change the IKE policy (and optionally the PSK); fields left out keep their value', description: RECONNECTS })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404, 409)
  async updateIke(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateIkePolicyDto): Promise<TunnelDto> {
    return this.edited(this.tunnels.updateIkePolicy(tenantOf(p), id, body));
  }

  @Put(':id/ipsec-policy')
  @ApiOperation({ summary: 'Change the IPsec policy; fields left out keep their value', description: RECONNECTS })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404, 409)
  async updateIpsec(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: IpsecPolicyDto): Promise<TunnelDto> {
    return this.edited(this.tunnels.updateIpsecPolicy(tenantOf(p), id, body as Record<string, unknown>));
  }

  @Put(':id/options')
  @ApiOperation({
    summary: 'Change the tunnel options (initiatorMode, dpd, ikeFragmentation, tcpMssClamp); fields left out keep their value',
    description: `${RECONNECTS} A change of tcpMssClamp alone is applied in the gateway in place: no new configVersion, no reconnect, remoteMustUpdate false.`,
  })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(400, 404, 409)
  async updateOptions(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: UpdateTunnelOptionsDto): Promise<TunnelDto> {
    return this.edited(this.tunnels.updateOptions(tenantOf(p), id, body));
  }

  @Post(':id/reconnect')
  @HttpCode(200)
  @ApiOperation({
    summary: "Reconnect now: drop the tunnel's SAs and negotiate again at once, without editing it",
    description:
      "Queues the gateway's sync of the unchanged configuration as a new configVersion: the tunnel goes back to connecting and its failure is cleared until the new try reports. " +
      'For a 0.0.0.0 peer the platform cannot initiate: its SAs are dropped and the remote brings the tunnel back. remoteMustUpdate is false.',
  })
  @ApiOkResponse({ type: TunnelDto })
  @ApiErrors(404, 409)
  async reconnect(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<TunnelDto> {
    return this.edited(this.tunnels.reconnect(tenantOf(p), id));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a tunnel: it goes down and its routes are withdrawn' })
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(404)
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<BatchDeleteResultDto> {
    return this.tunnels.remove(tenantOf(p), [id]);
  }

  @Post('batch-delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete several tunnels: all or nothing' })
  @ApiOkResponse({ type: BatchDeleteResultDto })
  @ApiErrors(400)
  batchRemove(@CurrentPrincipal() p: Principal, @Body() body: BatchDeleteDto): Promise<BatchDeleteResultDto> {
    return this.tunnels.remove(tenantOf(p), body.ids);
  }
}
