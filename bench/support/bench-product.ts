// The whole product for the negotiation and route benchmarks (test/support/product-processes.ts,
// shared with the end-to-end tests) on a private, freshly migrated database.
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/data-source';
import { loadWorkerConfig } from '../../src/negotiation/worker-config';
import { databaseUrl, PG_ADMIN_URL } from '../../test/support/env';
import { ProductProcesses } from '../../test/support/product-processes';

/**
 * A private, freshly migrated database. Not a clone of the tests' template: rebuilding that one
 * (prepareTemplate drops it) would break a concurrent test run that is cloning it.
 */
export async function createBenchDatabase(prefix = 'vpn_bench_neg_'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await runMigrations(url);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url, drop };
}

export interface BenchProductOptions {
  labPrefix: string;
  workerEnv?: Record<string, string>;
  /** Name prefix of the run's directory under the system temp dir (default 'vpn-bench-'). */
  dirPrefix?: string;
  /** Name prefix of the run's database (default 'vpn_bench_neg_'). */
  dbPrefix?: string;
}

/** The product for a benchmark: started without its worker, whose cold start is what is measured. */
export class BenchProduct extends ProductProcesses {
  constructor(o: BenchProductOptions) {
    super({
      labPrefix: o.labPrefix, workerEnv: o.workerEnv, dirPrefix: o.dirPrefix ?? 'vpn-bench-', hostIdPrefix: 'bench-', redisDb: 12,
      keepDirVariable: 'KEEP_BENCH_DIR', createDatabase: () => createBenchDatabase(o.dbPrefix),
    });
  }

  async start(): Promise<void> {
    await this.startWithoutWorker();
  }

  /** The worker's tunables as it reads them from this environment (defaults filled in). */
  workerSettings(): Record<string, number> {
    const c = loadWorkerConfig(this.env);
    return {
      jobConcurrency: c.jobConcurrency, reconcileConcurrency: c.reconcileConcurrency, reconcileIntervalMs: c.reconcileIntervalMs,
      heartbeatIntervalMs: c.heartbeatIntervalMs, quickRetryMs: c.quickRetryMs, retryIntervalMs: c.retryIntervalMs,
      initiateTimeoutMs: c.initiateTimeoutMs, capacity: c.capacity,
    };
  }

  /** Makes the API see this host as dead at once (instead of waiting out the 30 s liveness window). */
  async markHostStale(): Promise<void> {
    await this.sql(`UPDATE gateway_hosts SET last_seen_at = now() - interval '1 hour' WHERE id = $1`, [this.hostId]);
  }
}
