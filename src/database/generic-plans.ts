import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'crypto';
import { Pool, PoolConfig } from 'pg';

/**
 * The sessions of the generic-plan pool: every prepared statement on a generic plan
 * (`plan_cache_mode`), nothing written (`default_transaction_read_only`), named in pg_stat_activity.
 * Set when the session starts (the startup packet's `options`), so a statement runs alone: no
 * `BEGIN; SET LOCAL ...` before it and no `COMMIT` after it.
 */
export const GENERIC_PLAN_SESSION = '-c plan_cache_mode=force_generic_plan -c default_transaction_read_only=on';
export const GENERIC_PLAN_APPLICATION = 'vpn-api generic plans';
/** The worker's (NegotiationStore's job read). */
export const WORKER_GENERIC_PLAN_APPLICATION = 'vpn-worker generic plans';

/** The pool's settings: a small pool beside TypeORM's (20), the same bounded connect. */
export function genericPlanPoolConfig(url: string, max = 8, application = GENERIC_PLAN_APPLICATION): PoolConfig {
  return { connectionString: url, max, connectionTimeoutMillis: 5000, options: GENERIC_PLAN_SESSION, application_name: application };
}

/** The prepared statement's name on a connection: one per statement text. */
export function genericPlanName(sql: string): string {
  return `generic_${createHash('sha1').update(sql).digest('hex')}`;
}

/**
 * Read-only statements run as prepared statements (named after their text) on sessions that plan
 * them generically: each is parsed and planned once per connection, then only bound and executed,
 * in one round trip. For statements whose plan does not depend on their values (decisions.md, "A
 * search's statement runs on a cached generic plan"); anything else belongs on TypeORM's pool,
 * where PostgreSQL plans for the values (plan_cache_mode auto).
 */
export class GenericPlans implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(url: string, o: { max?: number; application?: string; warn?: (message: string) => void } = {}) {
    this.pool = new Pool(genericPlanPoolConfig(url, o.max, o.application));
    const warn = o.warn ?? ((m: string) => new Logger(GenericPlans.name).warn(m));
    // An idle session that breaks (PostgreSQL restarted) is dropped by the pool; the next query reconnects.
    this.pool.on('error', (err) => warn(`an idle generic-plan session failed: ${err.message}`));
  }

  async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    const { rows } = await this.pool.query({ name: genericPlanName(sql), text: sql, values: params });
    return rows as T[];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.end();
  }

  async end(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
