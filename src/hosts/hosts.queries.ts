import { DataSource, EntityManager } from 'typeorm';
import { managerOf, returnedRows } from '../database/manager';
import { GatewayState } from '../common/states';
import { LEASE_HELD, PLACEABLE } from './host-lease';

/** A host's row of the operator's list, with its tunnel and failover counts (counts as PostgreSQL's text). */
export interface HostRow {
  id: string;
  hostname: string;
  capacity: number;
  last_seen_at: Date;
  live: boolean;
  lease_expires_at: Date | null;
  lease_ttl_ms: number | null;
  cordoned: boolean;
  drain_started_at: Date | null;
  tunnels: string;
  connected: string;
  f_in: string;
  f_out: string;
  f_last: Date | null;
  drained: string;
}

/** The API's reads and writes of the gateway host registry (`gateway_hosts`): placement, the operator's list, cordon and drain. */
export class HostQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /**
   * The host with the most spare capacity among those holding a valid lease (by the database's
   * clock) and not cordoned or draining, or null (the gateway then waits for one).
   */
  async mostSpareHost(): Promise<string | null> {
    const rows: { id: string }[] = await this.m.query(
      `SELECT h.id FROM gateway_hosts h
         LEFT JOIN vpn_gateways g ON g.host_id = h.id
        WHERE ${PLACEABLE}
        GROUP BY h.id, h.capacity
       HAVING count(g.id) < h.capacity
        ORDER BY h.capacity - count(g.id) DESC, h.id
        LIMIT 1`,
    );
    return rows[0]?.id ?? null;
  }

  /** Every host (by id), its gateways by state and its gateways' and tunnels' latest 500 errors. */
  async overview(): Promise<{
    hosts: HostRow[];
    counts: { host_id: string; resource_state: GatewayState; n: string }[];
    problems: { host_id: string; kind: 'gateway' | 'tunnel'; id: string; tenant_id: string; reason: string }[];
  }> {
    // `live` is the lease, judged by the database's clock (as placement and claims judge it).
    const hosts: HostRow[] = await this.m.query(
      `SELECT h.id, h.hostname, h.capacity, h.last_seen_at, coalesce(${LEASE_HELD}, false) AS live, h.lease_expires_at, h.lease_ttl_ms, h.cordoned, h.drain_started_at,
              (SELECT count(*) FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE g.host_id = h.id) AS tunnels,
              (SELECT count(*) FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE g.host_id = h.id AND t.connection_state = 'connected') AS connected,
              (SELECT count(*) FROM gateway_moves m WHERE m.to_host_id = h.id AND m.reason = 'lease_expired') AS f_in,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'lease_expired') AS f_out,
              (SELECT max(moved_at) FROM gateway_moves m WHERE m.reason = 'lease_expired' AND (m.from_host_id = h.id OR m.to_host_id = h.id)) AS f_last,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'drain' AND m.moved_at >= h.drain_started_at) AS drained
         FROM gateway_hosts h ORDER BY h.id`,
    );
    const counts: { host_id: string; resource_state: GatewayState; n: string }[] = await this.m.query(
      `SELECT host_id, resource_state, count(*) AS n FROM vpn_gateways WHERE host_id IS NOT NULL GROUP BY host_id, resource_state`,
    );
    const problems: { host_id: string; kind: 'gateway' | 'tunnel'; id: string; tenant_id: string; reason: string }[] = await this.m.query(
      `SELECT * FROM (
         SELECT host_id, 'gateway' AS kind, id, tenant_id, coalesce(state_reason, '') AS reason, created_at FROM vpn_gateways WHERE resource_state = 'error' AND host_id IS NOT NULL
         UNION ALL
         SELECT g.host_id, 'tunnel', t.id, t.tenant_id, coalesce(t.failure_message, ''), t.created_at FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id
          WHERE t.resource_state = 'error' AND g.host_id IS NOT NULL) p ORDER BY created_at DESC LIMIT 500`,
    );
    return { hosts, counts, problems };
  }

  async exists(id: string): Promise<boolean> {
    const [host] = await this.m.query('SELECT id FROM gateway_hosts WHERE id = $1', [id]);
    return !!host;
  }

  /** Each of these returns false when there is no such host. */
  cordon(id: string): Promise<boolean> {
    return this.setFlags(id, 'cordoned = true');
  }

  uncordon(id: string): Promise<boolean> {
    return this.setFlags(id, 'cordoned = false, drain_started_at = NULL');
  }

  drain(id: string): Promise<boolean> {
    return this.setFlags(id, 'cordoned = true, drain_started_at = coalesce(drain_started_at, now())');
  }

  private async setFlags(id: string, assignments: string): Promise<boolean> {
    const rows: unknown[] = await this.m.query(`UPDATE gateway_hosts SET ${assignments} WHERE id = $1 RETURNING id`, [id]);
    return returnedRows(rows).length > 0;
  }
}
