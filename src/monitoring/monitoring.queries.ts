import { DataSource, EntityManager, IsNull } from 'typeorm';
import { ApiKey } from '../auth/api-key.entity';
import { managerOf } from '../database/manager';
import { LEASE_HELD } from '../hosts/host-lease';
import { MetricsWindow } from './metrics-window';
import { LatestGatewaySample, LatestTunnelSample, MetricsSnapshot } from './prometheus-metrics';

const traffic = (r: Record<string, string>, i: string, o: string, pi: string, po: string) => ({
  bytesIn: Number(r[i]),
  bytesOut: Number(r[o]),
  packetsIn: Number(r[pi]),
  packetsOut: Number(r[po]),
});

/** The samples' reads: the API's series and the /metrics exposition's snapshot. */
export class MonitoringQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** Runs one of series.queries.ts's statements for a resource over the window: a row per step. */
  series(sql: string, id: string, w: MetricsWindow): Promise<Record<string, number>[]> {
    return this.m.query(sql, [id, w.stepSeconds, w.from, w.to]);
  }

  /** Whether the key hash is a live (unrevoked) operator key's. */
  liveOperatorKey(keyHash: string): Promise<boolean> {
    return this.m.getRepository(ApiKey).exists({ where: { keyHash, role: 'admin', revokedAt: IsNull() } });
  }

  /** Each live tunnel's newest sample younger than staleAfterSeconds. */
  async latestTunnelSamples(staleAfterSeconds: number): Promise<LatestTunnelSample[]> {
    // One primary-key probe per live tunnel (its newest sample), not a scan of the samples.
    const rows: Record<string, string>[] = await this.m.query(
      `SELECT t.id, t.tenant_id, t.gateway_id, extract(epoch FROM s.at)::float8 AS at, s.health, s.bytes_in, s.bytes_out, s.packets_in, s.packets_out,
              s.bps_in, s.bps_out, s.pps_in, s.pps_out, s.ike_state, s.child_state
         FROM vpn_tunnels t
         CROSS JOIN LATERAL (SELECT * FROM tunnel_samples x WHERE x.tunnel_id = t.id AND x.at > now() - make_interval(secs => $1)
                              ORDER BY x.at DESC LIMIT 1) s
        ORDER BY t.id`,
      [staleAfterSeconds],
    );
    return rows.map((r) => ({
      tunnelId: r.id,
      tenantId: r.tenant_id,
      gatewayId: r.gateway_id,
      at: Number(r.at),
      health: Number(r.health),
      totals: traffic(r, 'bytes_in', 'bytes_out', 'packets_in', 'packets_out'),
      bpsIn: Number(r.bps_in),
      bpsOut: Number(r.bps_out),
      ppsIn: Number(r.pps_in),
      ppsOut: Number(r.pps_out),
      ikeState: r.ike_state,
      childState: r.child_state,
    }));
  }

  /** Each gateway's newest sample younger than staleAfterSeconds. */
  async latestGatewaySamples(staleAfterSeconds: number): Promise<LatestGatewaySample[]> {
    const rows: Record<string, string>[] = await this.m.query(
      `SELECT g.id, g.tenant_id, g.bandwidth_mbps, extract(epoch FROM s.at)::float8 AS at, s.rx_bytes, s.tx_bytes, s.rx_packets, s.tx_packets,
              s.rx_bps, s.tx_bps, s.rx_pps, s.tx_pps, s.tx_utilization
         FROM vpn_gateways g
         CROSS JOIN LATERAL (SELECT * FROM gateway_samples x WHERE x.gateway_id = g.id AND x.at > now() - make_interval(secs => $1)
                              ORDER BY x.at DESC LIMIT 1) s
        ORDER BY g.id`,
      [staleAfterSeconds],
    );
    return rows.map((r) => ({
      gatewayId: r.id,
      tenantId: r.tenant_id,
      at: Number(r.at),
      bandwidthMbps: Number(r.bandwidth_mbps),
      totals: traffic(r, 'rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'),
      bpsIn: Number(r.rx_bps),
      bpsOut: Number(r.tx_bps),
      ppsIn: Number(r.rx_pps),
      ppsOut: Number(r.tx_pps),
      txUtilization: Number(r.tx_utilization),
    }));
  }

  /** Each host's last sighting, whether it holds its lease, and how many gateways failed over from it. */
  async hostLeases(): Promise<MetricsSnapshot['hosts']> {
    const rows: { id: string; seen: number; held: boolean; failovers: string }[] = await this.m.query(
      `SELECT h.id, extract(epoch FROM h.last_seen_at)::float8 AS seen, coalesce(${LEASE_HELD}, false) AS held,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'lease_expired') AS failovers
         FROM gateway_hosts h ORDER BY h.id`,
    );
    return rows.map((r) => ({ host: r.id, lastSeen: Number(r.seen), leaseHeld: r.held ? 1 : 0, failovers: Number(r.failovers) }));
  }
}
