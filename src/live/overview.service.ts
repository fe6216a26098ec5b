import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Alert } from '../alerts/alert.entities';
import { alertView } from '../alerts/alert-history.service';
import { CONNECTION_STATES, GATEWAY_STATES } from '../vpn/states';
import { OverviewDto, OverviewGatewayDto, OverviewTunnelDto } from './overview.dto';

const FAILING = `(t.connection_state IN ('phase1_failed', 'phase2_failed') OR (t.connection_state = 'connecting' AND t.disconnected_at IS NOT NULL) OR t.resource_state = 'error')`;
const EXPIRY_DAYS = 7;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's rows are untyped; the DTO mappings below give them their types
type SqlRow = Record<string, any>;

const gatewayView = (g: SqlRow): OverviewGatewayDto => ({
  id: g.id, name: g.name, resourceState: g.resource_state, stateReason: g.state_reason, externalIp: g.address, vpcId: g.vpc_id,
  expiresAt: g.expires_at, autoRenew: g.auto_renew, chargeType: g.charge_type,
});

/** The console's landing page in one answer: counts, what is failing now, what expires, recent alerts, the topology. */
@Injectable()
export class OverviewService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forTenant(tenantId: string): Promise<OverviewDto> {
    const q = <T = SqlRow>(sql: string, params: unknown[] = [tenantId]): Promise<T[]> => this.db.query(sql, params);
    const [tunnelCounts, gatewayCounts, failing, failingTotal, gateways, tunnels, peers, vpcs, alerts] = await Promise.all([
      q<{ s: string; n: string }>('SELECT connection_state AS s, count(*) AS n FROM vpn_tunnels WHERE tenant_id = $1 GROUP BY 1'),
      q<{ s: string; n: string }>('SELECT resource_state AS s, count(*) AS n FROM vpn_gateways WHERE tenant_id = $1 GROUP BY 1'),
      q(`SELECT t.id, t.name, t.connection_state, t.resource_state, t.failure_code, t.failure_message, t.state_changed_at, t.connected_at, t.disconnected_at,
                g.id AS gateway_id, g.name AS gateway_name, p.id AS peer_id, p.name AS peer_name, p.ip_address AS peer_ip
           FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id JOIN peer_gateways p ON p.id = t.peer_id
          WHERE t.tenant_id = $1 AND ${FAILING} ORDER BY t.state_changed_at DESC, t.id LIMIT 20`),
      q<{ n: string }>(`SELECT count(*) AS n FROM vpn_tunnels t WHERE t.tenant_id = $1 AND ${FAILING}`),
      q(`SELECT g.id, g.name, g.resource_state, g.state_reason, e.address, g.vpc_id, g.expires_at, g.auto_renew, g.charge_type
           FROM vpn_gateways g JOIN external_ips e ON e.id = g.external_ip_id WHERE g.tenant_id = $1 ORDER BY g.name, g.id`),
      q('SELECT id, name, gateway_id, peer_id, connection_state FROM vpn_tunnels WHERE tenant_id = $1 ORDER BY name, id'),
      q('SELECT id, name, ip_address FROM peer_gateways WHERE tenant_id = $1 ORDER BY name, id'),
      q('SELECT DISTINCT v.id, v.name, v.cidr FROM vpcs v JOIN vpn_gateways g ON g.vpc_id = v.id WHERE g.tenant_id = $1 ORDER BY v.name, v.id'),
      this.db.getRepository(Alert).find({ where: { tenantId }, order: { firedAt: 'DESC' }, take: 5 }),
    ]);
    const count = (rows: { s: string; n: string }[], states: readonly string[]) =>
      Object.fromEntries(states.map((s) => [s, Number(rows.find((r) => r.s === s)?.n ?? 0)]));
    const soon = Date.now() + EXPIRY_DAYS * 86_400_000;
    return {
      tunnelsByState: count(tunnelCounts, CONNECTION_STATES),
      gatewaysByState: count(gatewayCounts, GATEWAY_STATES),
      failing: failing.map((t): OverviewTunnelDto => ({
        id: t.id, name: t.name, connectionState: t.connection_state, resourceState: t.resource_state,
        failure: t.failure_code ? { code: t.failure_code, message: t.failure_message ?? '' } : null,
        stateChangedAt: t.state_changed_at, connectedAt: t.connected_at, disconnectedAt: t.disconnected_at,
        gatewayId: t.gateway_id, gatewayName: t.gateway_name, peerId: t.peer_id, peerName: t.peer_name, peerIp: t.peer_ip,
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
