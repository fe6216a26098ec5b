// The gateway-host worker process, assembled: heartbeat, its BullMQ queue, the reconciler.
import { Job, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { SecretBox } from '../common/secret-box';
import { dataSourceOptions } from '../database/data-source';
import { hostQueueName, JOB_NAMES, JobName, JobPayloads } from '../jobs/job-catalogue';
import { HostController } from './host-controller';
import { GatewayHostRuntime } from './host/gateway-host';
import { LabNetworkDriver } from './host/gateway-network';
import { publishRoutesChanged } from '../routes/route-notifier';
import { NegotiationStore } from './negotiation-store';
import { MetricsCollector } from '../monitoring/collector';
import { SampleStore } from '../monitoring/sample-store';
import { connName } from '../strongswan/tunnel-model';
import { WorkerConfig } from './worker-config';

type Handlers = { [N in JobName]: (payload: JobPayloads[N]) => Promise<void> };

export class HostWorker {
  private db!: DataSource;
  private redis!: IORedis;
  private publisher!: IORedis;
  private worker!: Worker;
  private controller!: HostController;
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private metrics: MetricsCollector | null = null;

  constructor(private readonly config: WorkerConfig, private readonly log: (m: string) => void = (m) => console.log(`[worker] ${m}`)) {}

  async start(): Promise<void> {
    const c = this.config;
    this.db = new DataSource(dataSourceOptions(c.databaseUrl, { extra: { max: 10 } }));
    await this.db.initialize();
    this.publisher = new IORedis(c.redisUrl, { maxRetriesPerRequest: 1 });
    this.publisher.on('error', () => undefined);
    const store = new NegotiationStore(this.db, new SecretBox(c.secretsKey), (vpcId) => publishRoutesChanged(this.publisher, vpcId).catch(() => undefined));
    await store.heartbeat(c.hostId, hostname(), c.capacity);

    const runtime = new GatewayHostRuntime({ network: new LabNetworkDriver({ prefix: c.labPrefix }), baseDir: c.gatewaysDir, dataPlane: c.dataPlane });
    this.controller = new HostController({
      hostId: c.hostId, capacity: c.capacity, db: this.db, store, runtime,
      timings: { triesBeforeFailed: 3, quickRetryMs: c.quickRetryMs, failedRetryMs: c.retryIntervalMs },
      initiateTimeoutMs: c.initiateTimeoutMs, reconcileConcurrency: c.reconcileConcurrency, log: this.log,
    });

    // The typed catalogue: every job name has a handler, or the process refuses to start.
    const handlers: Handlers = {
      'gateway.sync': (p) => this.controller.syncGateway(p.gatewayId),
      'gateway.delete': (p) => this.controller.deleteGateway(p.gatewayId),
      'tunnel.sync': (p) => this.controller.syncTunnel(p.tunnelId),
      'tunnel.delete': (p) => this.controller.deleteTunnel(p.tunnelId),
    };
    for (const name of JOB_NAMES) if (!handlers[name]) throw new Error(`no handler for job ${name}`);

    this.redis = new IORedis(c.redisUrl, { maxRetriesPerRequest: null });
    // Converge first (namespaces, charons, tunnels), then take jobs: a job never finds a half-started host.
    await this.reconcile();
    this.worker = new Worker(
      hostQueueName(c.hostId),
      async (job: Job) => {
        const handler = handlers[job.name as JobName] as (p: unknown) => Promise<void>;
        if (!handler) throw new Error(`unknown job ${job.name}`);
        await handler(job.data);
      },
      { connection: this.redis, concurrency: c.jobConcurrency },
    );
    this.worker.on('failed', (job, err) => this.log(`job ${job?.id} failed: ${err.message}`));

    this.timers.push(setInterval(() => void store.heartbeat(c.hostId, hostname(), c.capacity).catch((e) => this.log(`heartbeat: ${e.message}`)), c.heartbeatIntervalMs));
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
        .catch((err) => this.log(`reconcile failed: ${(err as Error).message}`))
        .finally(() => (this.reconciling = null));
    }
    return this.reconciling;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.metrics?.stop();
    await this.worker?.close();
    await this.controller?.shutdown();
    this.redis?.disconnect();
    this.publisher?.disconnect();
    await this.db?.destroy();
  }
}
