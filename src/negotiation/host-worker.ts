// The gateway-host worker process, assembled: heartbeat, its BullMQ queue, the reconciler.
import { Job, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { describeError } from '../common/dependency-errors';
import { throttledLog, untilAvailable } from '../common/dependency-wait';
import { SecretBox } from '../common/secret-box';
import { dataSourceOptions } from '../database/data-source';
import { hostQueueName, JOB_NAMES, JobName, JobPayloads } from '../jobs/job-catalogue';
import { HostController } from './host-controller';
import { GatewayHostRuntime } from './host/gateway-host';
import { createNetworkDriver } from './host/network-driver-factory';
import { publishRoutesChanged } from '../routes/route-notifier';
import { NegotiationStore } from './negotiation-store';
import { StateWriter, WriteBehindStore } from './state-writer';
import { MetricsCollector } from '../monitoring/collector';
import { SampleStore } from '../monitoring/sample-store';
import { connName } from '../strongswan/tunnel-model';
import { WorkerConfig } from './worker-config';

// A handler's result is the job's return value (only tunnel.diagnose has one: the API waits for it).
type Handlers = { [N in JobName]: (payload: JobPayloads[N]) => Promise<unknown> };

export class HostWorker {
  private db!: DataSource;
  private redis!: IORedis;
  private publisher!: IORedis;
  private worker!: Worker;
  private controller!: HostController;
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private metrics: MetricsCollector | null = null;
  private writer: StateWriter | null = null;
  private stopping = false;
  private readonly depLog = throttledLog((m) => this.log(m));

  constructor(private readonly config: WorkerConfig, private readonly log: (m: string) => void = (m) => console.log(`[worker] ${m}`)) {}

  async start(): Promise<void> {
    const c = this.config;
    const cancelled = () => this.stopping;
    // PostgreSQL unreachable at start: wait for it (charons left running keep their SAs meanwhile).
    // A bounded connect so a dead server is noticed, not waited on for the TCP timeout.
    this.db = await untilAvailable('worker: PostgreSQL', async () => {
      const db = new DataSource(dataSourceOptions(c.databaseUrl, { extra: { max: 10, connectionTimeoutMillis: 5000 } }));
      await db.initialize();
      return db;
    }, this.log, { cancelled });
    // Route notifications are best effort and must never wait: no offline queue (a publish while
    // Redis is away fails at once instead of waiting for a reconnect; the agents' long polls
    // time out and read again anyway).
    this.publisher = new IORedis(c.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
    this.publisher.on('error', (e) => this.depLog('redis-publisher', `route notifications: ${describeError(e, 'Redis')} (tunnels are not affected)`));
    const store = new NegotiationStore(this.db, new SecretBox(c.secretsKey), (vpcId) => publishRoutesChanged(this.publisher, vpcId).catch(() => undefined));
    this.writer = new StateWriter({ log: this.log });
    const tunnelStore = new WriteBehindStore(store, this.writer);
    await untilAvailable('worker: heartbeat', () => store.heartbeat(c.hostId, hostname(), c.capacity), this.log, { cancelled });

    // The charon supervisor's lines carry the component too ("[worker] charon vpngw-…: …").
    const logger = { info: (m: string) => this.log(m), warn: (m: string) => this.log(m), error: (m: string) => this.log(m) };
    const runtime = new GatewayHostRuntime({ network: createNetworkDriver(c), baseDir: c.gatewaysDir, dataPlane: c.dataPlane, logger });
    this.controller = new HostController({
      hostId: c.hostId, capacity: c.capacity, db: this.db, store, tunnelStore, runtime,
      timings: { triesBeforeFailed: 3, quickRetryMs: c.quickRetryMs, failedRetryMs: c.retryIntervalMs },
      initiateTimeoutMs: c.initiateTimeoutMs, reconcileConcurrency: c.reconcileConcurrency, log: this.log,
    });

    // The typed catalogue: every job name has a handler, or the process refuses to start.
    const handlers: Handlers = {
      'gateway.sync': (p) => this.controller.syncGateway(p.gatewayId),
      'gateway.delete': (p) => this.controller.deleteGateway(p.gatewayId),
      'tunnel.sync': (p) => this.controller.syncTunnel(p.tunnelId),
      'tunnel.delete': (p) => this.controller.deleteTunnel(p.tunnelId),
      'tunnel.diagnose': (p) => this.controller.diagnoseTunnel(p.tunnelId),
    };
    for (const name of JOB_NAMES) if (!handlers[name]) throw new Error(`no handler for job ${name}`);

    // BullMQ's connection retries for ever: a Redis outage delays jobs (the reconciler catches up).
    this.redis = new IORedis(c.redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', (e) => this.depLog('redis-jobs', `job queue: ${describeError(e, 'Redis')}; jobs wait, the reconciler converges meanwhile`));
    // Converge first (namespaces, charons, tunnels), then take jobs: a job never finds a half-started host.
    await this.reconcile();
    this.worker = new Worker(
      hostQueueName(c.hostId),
      async (job: Job) => {
        const handler = handlers[job.name as JobName] as (p: unknown) => Promise<unknown>;
        if (!handler) throw new Error(`unknown job ${job.name}`);
        return handler(job.data);
      },
      { connection: this.redis, concurrency: c.jobConcurrency },
    );
    this.worker.on('failed', (job, err) => this.log(`job ${job?.id} failed: ${describeError(err)}`));
    this.worker.on('error', (err) => this.depLog('redis-worker', `job queue: ${describeError(err, 'Redis')}`));

    this.timers.push(setInterval(() => void store.heartbeat(c.hostId, hostname(), c.capacity).catch((e) => this.depLog('heartbeat', `heartbeat: ${describeError(e)}`)), c.heartbeatIntervalMs));
    this.timers.push(setInterval(() => void this.reconcile(), c.reconcileIntervalMs));
    this.metrics = new MetricsCollector({
      hostId: c.hostId, store: new SampleStore(this.db), gateways: () => this.controller.runningAgents(), connPrefix: connName(''),
      intervalMs: c.metricsIntervalMs, retentionDays: c.metricsRetentionDays, pruneIntervalMs: c.metricsPruneIntervalMs, log: this.log,
    });
    this.metrics.start();
    this.log(`gateway host ${c.hostId} ready (queue ${hostQueueName(c.hostId)})`);
  }

  /** One reconcile at a time; a tick that finds one running skips. */
  reconcile(): Promise<void> {
    if (!this.reconciling) {
      this.reconciling = this.controller.reconcile()
        .catch((err) => this.depLog('reconcile', `reconcile failed: ${describeError(err)}`))
        .finally(() => (this.reconciling = null));
    }
    return this.reconciling;
  }

  /**
   * With `keepCharons` (the default for SIGTERM: a restart or an upgrade) the gateways' charons and
   * their SAs outlive this process and the next worker takes them over.
   */
  async stop(opts: { keepCharons?: boolean } = {}): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.metrics?.stop();
    await this.worker?.close();
    await this.controller?.shutdown(opts);
    // What PostgreSQL has not taken yet gets a moment; the rest is lost (the next worker's
    // reconciler rewrites each tunnel's state from charon).
    if (this.writer) await Promise.race([this.writer.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.writer?.close();
    this.redis?.disconnect();
    this.publisher?.disconnect();
    await this.db?.destroy();
  }
}
