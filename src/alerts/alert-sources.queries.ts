// Reads what the evaluator judges: every bound gateway and tunnel with its latest fresh sample.
// Queries only; no rules here.
import { DataSource } from 'typeorm';
import { Metric, ResourceType } from './alert-metrics';

export interface Observation {
  resourceType: ResourceType;
  resourceId: string;
  resourceName: string;
  tenantId: string;
  templateId: string;
  /** null: no value this period (no fresh sample). */
  values: Partial<Record<Metric, number | null>>;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Tunnel health is the latest sample's health when one is fresh; without one (no collector, or it
 * is behind) it follows the tunnel's connection state, so "tunnel down" alerts work regardless.
 * Other metrics exist only through samples.
 */
export async function observeTunnels(db: DataSource, now: Date, maxAgeMs: number): Promise<Observation[]> {
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT t.id, t.tenant_id, t.name, t.alert_template_id, t.connection_state, s.health, s.bps_in, s.bps_out, s.pps_in, s.pps_out
       FROM vpn_tunnels t
       JOIN vpn_gateways g ON g.id = t.gateway_id
       LEFT JOIN LATERAL (SELECT ts.health, ts.bps_in, ts.bps_out, ts.pps_in, ts.pps_out FROM tunnel_samples ts
                           WHERE ts.tunnel_id = t.id AND ts.at > $1 AND ts.at <= $2 ORDER BY ts.at DESC LIMIT 1) s ON true
      WHERE t.alert_template_id IS NOT NULL AND t.resource_state <> 'deleting'
        -- Billing stopped it: not an outage to page anyone about (the tenant gets expiry notices).
        AND g.resource_state NOT IN ('deleting', 'expired')`,
    [new Date(now.getTime() - maxAgeMs), now],
  );
  return rows.map((r) => ({
    resourceType: 'tunnel',
    resourceId: r.id as string,
    resourceName: r.name as string,
    tenantId: r.tenant_id as string,
    templateId: r.alert_template_id as string,
    values: {
      tunnel_health: num(r.health) ?? (r.connection_state === 'connected' ? 1 : 0),
      tunnel_bps_in: num(r.bps_in),
      tunnel_bps_out: num(r.bps_out),
      tunnel_pps_in: num(r.pps_in),
      tunnel_pps_out: num(r.pps_out),
    },
  }));
}

/**
 * Gateway metrics come from samples, except failovers: the gateway's moves after a lost host in
 * the period that ends `now` (the move records, so a count of 0 is a value, never missing).
 */
export async function observeGateways(db: DataSource, now: Date, maxAgeMs: number, periodMs: number): Promise<Observation[]> {
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT g.id, g.tenant_id, g.name, g.alert_template_id, s.rx_bps, s.tx_bps, s.rx_pps, s.tx_pps, s.tx_utilization,
            (SELECT count(*) FROM gateway_moves m WHERE m.gateway_id = g.id AND m.reason = 'lease_expired' AND m.moved_at > $3 AND m.moved_at <= $2) AS failovers
       FROM vpn_gateways g
       LEFT JOIN LATERAL (SELECT gs.rx_bps, gs.tx_bps, gs.rx_pps, gs.tx_pps, gs.tx_utilization FROM gateway_samples gs
                           WHERE gs.gateway_id = g.id AND gs.at > $1 AND gs.at <= $2 ORDER BY gs.at DESC LIMIT 1) s ON true
      WHERE g.alert_template_id IS NOT NULL AND g.resource_state <> 'deleting'`,
    [new Date(now.getTime() - maxAgeMs), now, new Date(now.getTime() - periodMs)],
  );
  return rows.map((r) => ({
    resourceType: 'gateway',
    resourceId: r.id as string,
    resourceName: r.name as string,
    tenantId: r.tenant_id as string,
    templateId: r.alert_template_id as string,
    values: {
      gateway_rx_bps: num(r.rx_bps),
      gateway_tx_bps: num(r.tx_bps),
      gateway_rx_pps: num(r.rx_pps),
      gateway_tx_pps: num(r.tx_pps),
      gateway_tx_utilization: num(r.tx_utilization),
      gateway_failovers: Number(r.failovers),
    },
  }));
}
