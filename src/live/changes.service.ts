import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

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

/**
 * The console's "changed since" poll (docs/decisions.md, web/README.md): a few aggregates that say
 * whether a list or detail page needs to fetch again, instead of every page polling its data.
 */
@Injectable()
export class ChangesService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forTenant(tenantId: string): Promise<ChangeVersions> {
    const [row] = await this.db.query(
      `SELECT ${stamp('vpn_tunnels', 'tenant_id = $1')} AS tunnels, ${stamp('vpn_gateways', 'tenant_id = $1')} AS gateways,
              ${stamp('peer_gateways', 'tenant_id = $1')} AS peers, ${ALERTS('tenant_id = $1')} AS alerts`,
      [tenantId],
    );
    return row as ChangeVersions;
  }

  async forOperator(): Promise<ChangeVersions> {
    const [row] = await this.db.query(
      `SELECT ${stamp('vpn_gateways', 'true')} AS gateways,
              (SELECT count(*) || '.' || coalesce((extract(epoch FROM max(last_seen_at)) * 1e6)::bigint, 0) FROM gateway_hosts) AS hosts,
              (SELECT count(*)::text FROM tenants) AS tenants`,
    );
    return row as ChangeVersions;
  }
}
