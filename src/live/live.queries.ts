import { DataSource, EntityManager } from 'typeorm';
import { Alert } from '../alerts/alert.entity';
import { managerOf } from '../database/manager';

/** A version per topic: it changes whenever something a page of that topic shows has changed. */
export type ChangeVersions = Record<string, string>;

// One aggregate per table, each on the tenant's index: "count.max(updated_at in µs)". A count
// catches deletes, the timestamp every write (the worker's state reports set updated_at too).
const stamp = (table: string, where: string) =>
  `(SELECT count(*) || '.' || coalesce((extract(epoch FROM max(updated_at)) * 1e6)::bigint, 0) FROM ${table} WHERE ${where})`;

// Alerts have no updated_at: the last week's count, newest firing and newest resolution (an alert
// older than a week that resolves shows on the next change of anything else, or a reload).
const ALERTS = (where: string) => `(SELECT count(*) || '.' || coalesce((extract(epoch FROM max(fired_at)) * 1e6)::bigint, 0) || '.' ||
  coalesce((extract(epoch FROM max(resolved_at)) * 1e6)::bigint, 0) FROM alerts WHERE ${where} AND fired_at > now() - interval '7 days')`;

/** The aggregates of the console's "changed since" poll. */
export class ChangeQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  async forTenant(tenantId: string): Promise<ChangeVersions> {
    const [row] = await this.m.query(
      `SELECT ${stamp('vpn_tunnels', 'tenant_id = $1')} AS tunnels, ${stamp('vpn_gateways', 'tenant_id = $1')} AS gateways,
              ${stamp('peer_gateways', 'tenant_id = $1')} AS peers, ${ALERTS('tenant_id = $1')} AS alerts`,
      [tenantId],
    );
    return row as ChangeVersions;
  }

  async forOperator(): Promise<ChangeVersions> {
    const [row] = await this.m.query(
      `SELECT ${stamp('vpn_gateways', 'true')} AS gateways,
              (SELECT count(*) || '.' || coalesce((extract(epoch FROM max(last_seen_at)) * 1e6)::bigint, 0) FROM gateway_hosts) AS hosts,
              (SELECT count(*)::text FROM tenants) AS tenants`,
    );
    return row as ChangeVersions;
  }
}

const FAILING = `(t.connection_state IN ('phase1_failed', 'phase2_failed') OR (t.connection_state = 'connecting' AND t.disconnected_at IS NOT NULL) OR t.resource_state = 'error')`;

/** The overview page's reads, run in parallel. */
export class OverviewQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** Tunnel and gateway counts by state, failing tunnels (20) and their total, gateways, tunnels, peers, VPCs, the 5 latest alerts. */
  forTenant(tenantId: string) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's rows are untyped; overview.service.ts's DTO mappings type them
    const q = <T = Record<string, any>>(sql: string, params: unknown[] = [tenantId]): Promise<T[]> => this.m.query(sql, params);
    return Promise.all([
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
      this.m.getRepository(Alert).find({ where: { tenantId }, order: { firedAt: 'DESC' }, take: 5 }),
    ]);
  }
}
