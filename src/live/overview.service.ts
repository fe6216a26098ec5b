import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { alertView } from '../alerts/alert-history.service';
import { CONNECTION_STATES, GATEWAY_STATES } from '../common/states';
import { OverviewDto, OverviewGatewayDto, OverviewTunnelDto } from './overview.dto';
import { OverviewQueries } from './live.queries';

const EXPIRY_DAYS = 7;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's rows are untyped; the DTO mappings below give them their types
type SqlRow = Record<string, any>;

const gatewayView = (g: SqlRow): OverviewGatewayDto => ({
  id: g.id,
  name: g.name,
  resourceState: g.resource_state,
  stateReason: g.state_reason,
  externalIp: g.address,
  vpcId: g.vpc_id,
  expiresAt: g.expires_at,
  autoRenew: g.auto_renew,
  chargeType: g.charge_type,
});

/** The console's landing page in one answer: counts, what is failing now, what expires, recent alerts, the topology. */
@Injectable()
export class OverviewService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forTenant(tenantId: string): Promise<OverviewDto> {
    const [tunnelCounts, gatewayCounts, failing, failingTotal, gateways, tunnels, peers, vpcs, alerts] = await new OverviewQueries(this.db).forTenant(tenantId);
    const count = (rows: { s: string; n: string }[], states: readonly string[]) =>
      Object.fromEntries(states.map((s) => [s, Number(rows.find((r) => r.s === s)?.n ?? 0)]));
    const soon = Date.now() + EXPIRY_DAYS * 86_400_000;
    return {
      tunnelsByState: count(tunnelCounts, CONNECTION_STATES),
      gatewaysByState: count(gatewayCounts, GATEWAY_STATES),
      failing: failing.map((t): OverviewTunnelDto => ({
        id: t.id,
        name: t.name,
        connectionState: t.connection_state,
        resourceState: t.resource_state,
        failure: t.failure_code ? { code: t.failure_code, message: t.failure_message ?? '' } : null,
        stateChangedAt: t.state_changed_at,
        connectedAt: t.connected_at,
        disconnectedAt: t.disconnected_at,
        gatewayId: t.gateway_id,
        gatewayName: t.gateway_name,
        peerId: t.peer_id,
        peerName: t.peer_name,
        peerIp: t.peer_ip,
      })),
      failingTotal: Number(failingTotal[0]?.n ?? 0),
      expiringSoon: gateways
        .filter((g) => g.expires_at && new Date(g.expires_at).getTime() < soon && g.resource_state !== 'deleting')
        .sort((a, b) => new Date(a.expires_at).getTime() - new Date(b.expires_at).getTime())
        .slice(0, 10)
        .map(gatewayView),
      recentAlerts: alerts.map(alertView),
      topology: {
        vpcs: vpcs.map((v) => ({ id: v.id, name: v.name, cidr: v.cidr })),
        gateways: gateways.map(gatewayView),
        tunnels: tunnels.map((t) => ({ id: t.id, name: t.name, gatewayId: t.gateway_id, peerId: t.peer_id, connectionState: t.connection_state })),
        peers: peers.map((p) => ({ id: p.id, name: p.name, ipAddress: p.ip_address })),
      },
    };
  }
}
