// The whole product for the negotiation and route benchmarks (test/support/product-processes.ts,
// shared with the end-to-end tests) on a private, freshly migrated database.
import { loadWorkerConfig } from '../../src/negotiation/worker-config';
import { ProductProcesses } from '../../test/support/product-processes';
import { createBenchDatabase } from './bench-env';

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
      labPrefix: o.labPrefix,
      workerEnv: o.workerEnv,
      dirPrefix: o.dirPrefix ?? 'vpn-bench-',
      hostIdPrefix: 'bench-',
      redisDb: 12,
      keepDirVariable: 'KEEP_BENCH_DIR',
      createDatabase: () => createBenchDatabase(o.dbPrefix ?? 'vpn_bench_neg_'),
    });
  }

  async start(): Promise<void> {
    await this.startWithoutWorker();
  }

  /** The worker's tunables as it reads them from this environment (defaults filled in). */
  workerSettings(): Record<string, number> {
    const c = loadWorkerConfig(this.env);
    return {
      jobConcurrency: c.jobConcurrency,
      reconcileConcurrency: c.reconcileConcurrency,
      reconcileIntervalMs: c.reconcileIntervalMs,
      leaseRenewMs: c.leaseRenewMs,
      leaseTtlMs: c.leaseTtlMs,
      leaseMaxMainStallMs: c.leaseMaxMainStallMs,
      quickRetryMs: c.quickRetryMs,
      retryIntervalMs: c.retryIntervalMs,
      initiateTimeoutMs: c.initiateTimeoutMs,
      capacity: c.capacity,
    };
  }

  /** Makes the API see this host as dead at once (instead of waiting for its lease to expire). */
  async markHostStale(): Promise<void> {
    await this.sql(`UPDATE gateway_hosts SET last_seen_at = now() - interval '1 hour', lease_expires_at = now() - interval '1 hour' WHERE id = $1`, [
      this.hostId,
    ]);
  }
}
