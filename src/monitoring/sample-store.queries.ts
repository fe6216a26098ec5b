// The worker's SQL for monitoring samples: what it monitors, where counters left off, ONE insert
// per collection round (both tables, one statement, one round trip, arrays instead of 15 x N
// parameters) and the retention delete.
import { DataSource } from 'typeorm';
import { Rates, Traffic } from './rates';

export interface MonitoredGatewayRow {
  id: string;
  tenantId: string;
  bandwidthMbps: number;
  tunnelIds: string[];
}

export interface TunnelSampleRow extends Rates {
  tunnelId: string;
  tenantId: string;
  gatewayId: string;
  health: number;
  totals: Traffic;
  ikeState: string | null;
  childState: string | null;
}

export interface GatewaySampleRow extends Rates {
  gatewayId: string;
  tenantId: string;
  totals: Traffic;
  txUtilization: number;
}

/** Key of the advisory lock that lets one worker at a time run the retention delete. */
const PRUNE_LOCK = 5_400_004;
const PRUNE_BATCH = 50_000;

const int = (n: number) => Math.max(0, Math.round(n));

export class SampleStore {
  constructor(private readonly db: DataSource) {}

  /** Gateways placed on this host and their tunnels (neither being deleted). */
  async gatewaysOfHost(hostId: string): Promise<MonitoredGatewayRow[]> {
    const rows: { id: string; tenant_id: string; bandwidth_mbps: number; tunnel_ids: string[] }[] = await this.db.query(
      `SELECT g.id, g.tenant_id, g.bandwidth_mbps,
              COALESCE(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id IS NOT NULL), '{}') AS tunnel_ids
         FROM vpn_gateways g
         LEFT JOIN vpn_tunnels t ON t.gateway_id = g.id AND t.resource_state <> 'deleting'
        WHERE g.host_id = $1 AND g.resource_state <> 'deleting'
        GROUP BY g.id ORDER BY g.id`,
      [hostId],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, bandwidthMbps: r.bandwidth_mbps, tunnelIds: r.tunnel_ids }));
  }

  /** The counters of each resource's latest sample (monotonic totals continue from there). */
  async lastTotals(table: 'tunnel_samples' | 'gateway_samples', ids: string[]): Promise<Map<string, Traffic>> {
    if (!ids.length) return new Map();
    const [key, cols] =
      table === 'tunnel_samples'
        ? ['tunnel_id', 'bytes_in, bytes_out, packets_in, packets_out']
        : ['gateway_id', 'rx_bytes AS bytes_in, tx_bytes AS bytes_out, rx_packets AS packets_in, tx_packets AS packets_out'];
    const rows: { id: string; bytes_in: string; bytes_out: string; packets_in: string; packets_out: string }[] = await this.db.query(
      `SELECT r.id, s.* FROM unnest($1::varchar[]) AS r(id)
        CROSS JOIN LATERAL (SELECT ${cols} FROM ${table} WHERE ${key} = r.id ORDER BY at DESC LIMIT 1) s`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        { bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out), packetsIn: Number(r.packets_in), packetsOut: Number(r.packets_out) },
      ]),
    );
  }

  /** One statement for the whole round: gateway rows in a data-modifying CTE, tunnel rows in the main INSERT. */
  async insertRound(at: Date, gateways: GatewaySampleRow[], tunnels: TunnelSampleRow[]): Promise<void> {
    if (!gateways.length && !tunnels.length) return;
    const g = gateways;
    const t = tunnels;
    await this.db.query(
      `WITH gw AS (
         INSERT INTO gateway_samples (gateway_id, at, tenant_id, rx_bytes, tx_bytes, rx_packets, tx_packets, rx_bps, tx_bps, rx_pps, tx_pps, tx_utilization)
         SELECT id, $1, tenant, rxb, txb, rxp, txp, rxbps, txbps, rxpps, txpps, util
           FROM unnest($2::varchar[], $3::varchar[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[])
                AS g(id, tenant, rxb, txb, rxp, txp, rxbps, txbps, rxpps, txpps, util)
         ON CONFLICT DO NOTHING
       )
       INSERT INTO tunnel_samples (tunnel_id, at, tenant_id, gateway_id, health, bytes_in, bytes_out, packets_in, packets_out, bps_in, bps_out, pps_in, pps_out, ike_state, child_state)
       SELECT id, $1, tenant, gw, health, bi, bo, pi, po, bpsi, bpso, ppsi, ppso, ike, child
         FROM unnest($13::varchar[], $14::varchar[], $15::varchar[], $16::smallint[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[],
                     $21::float8[], $22::float8[], $23::float8[], $24::float8[], $25::varchar[], $26::varchar[])
              AS t(id, tenant, gw, health, bi, bo, pi, po, bpsi, bpso, ppsi, ppso, ike, child)
       ON CONFLICT DO NOTHING`,
      [
        at,
        g.map((r) => r.gatewayId),
        g.map((r) => r.tenantId),
        g.map((r) => int(r.totals.bytesIn)),
        g.map((r) => int(r.totals.bytesOut)),
        g.map((r) => int(r.totals.packetsIn)),
        g.map((r) => int(r.totals.packetsOut)),
        g.map((r) => r.bpsIn),
        g.map((r) => r.bpsOut),
        g.map((r) => r.ppsIn),
        g.map((r) => r.ppsOut),
        g.map((r) => r.txUtilization),
        t.map((r) => r.tunnelId),
        t.map((r) => r.tenantId),
        t.map((r) => r.gatewayId),
        t.map((r) => r.health),
        t.map((r) => int(r.totals.bytesIn)),
        t.map((r) => int(r.totals.bytesOut)),
        t.map((r) => int(r.totals.packetsIn)),
        t.map((r) => int(r.totals.packetsOut)),
        t.map((r) => r.bpsIn),
        t.map((r) => r.bpsOut),
        t.map((r) => r.ppsIn),
        t.map((r) => r.ppsOut),
        t.map((r) => r.ikeState),
        t.map((r) => r.childState),
      ],
    );
  }

  /**
   * Deletes samples older than the retention, in batches, through the (tenant_id, at) index (no
   * sequential scan of a table of hundreds of millions of rows). One worker at a time (advisory
   * lock); returns the rows deleted, or null when another worker holds the lock.
   */
  async prune(retentionDays: number): Promise<number | null> {
    let deleted = 0;
    for (const table of ['tunnel_samples', 'gateway_samples']) {
      for (;;) {
        const n = await this.db.transaction(async (m) => {
          const [{ locked }] = await m.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [PRUNE_LOCK]);
          if (!locked) return null;
          const [{ n }] = await m.query(
            `WITH d AS (
               DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM ${table}
                  WHERE tenant_id = ANY(ARRAY(SELECT id FROM tenants)) AND at < now() - make_interval(days => $1)
                  LIMIT $2))
               RETURNING 1)
             SELECT count(*)::int AS n FROM d`,
            [retentionDays, PRUNE_BATCH],
          );
          return n as number;
        });
        if (n === null) return null;
        deleted += n;
        if (n < PRUNE_BATCH) break;
      }
    }
    return deleted;
  }
}
