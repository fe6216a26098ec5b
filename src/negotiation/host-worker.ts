// The gateway-host worker process, assembled: its lease (renewal, claims of lost hosts' gateways,
// self-fencing), its BullMQ queue, the reconciler.
import { Job, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { createHash } from 'crypto';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { describeError, unavailableDependency } from '../common/dependency-errors';
import { throttledLog, untilAvailable } from '../common/dependency-wait';
import { createLogger, StructuredLogger } from '../common/structured-log';
import { SecretBox } from '../common/secret-box';
import { dataSourceOptions } from '../database/data-source';
import { GenericPlans, WORKER_GENERIC_PLAN_APPLICATION } from '../database/generic-plans';
import { hostQueueName, JOB_NAMES, JobName, JobPayloads } from '../jobs/job-catalogue';
import { HostSupervisor } from './host-supervisor';
import { GatewayHostRuntime } from './host/gateway-host';
import { hostTag } from './host/gateway-names';
import { FenceGuard, HostLease } from '../hosts/host-lease';
import { LeaseRenewer } from '../hosts/lease-renewer';
import { createNetworkDriver } from './host/network-drivers';
import { publishRoutesChanged } from '../routes/route-notifier';
import { NegotiationStore } from './negotiation.queries';
import { StateWriter, tunnelStateWriter, WriteBehindStore } from './state-writer';
import { MetricsCollector } from './metrics/collector';
import { SampleStore } from '../monitoring/sample-store.queries';
import { connName } from '../strongswan/tunnel-model';
import { WorkerConfig } from './worker-config';
import { workerHealthPath, workerMemory, writeWorkerHealth } from './worker-health';

// A handler's result is the job's return value (only tunnel.diagnose has one: the API waits for it).
type Handlers = { [N in JobName]: (payload: JobPayloads[N]) => Promise<unknown> };

/**
 * How long a host's "I renewed my lease" mark lives in Redis: two renewals, far less than the TTL,
 * so when PostgreSQL fails for every host the marks are gone before any lease lapses.
 */
const LEASE_EVIDENCE_RENEWALS = 2;

export class HostWorker {
  private db!: DataSource;
  private plans: GenericPlans | null = null;
  /**
   * The lease's own thread and connection: renewals must never queue behind the state writes and
   * reconciles that fill the main pool when many tunnels come up at once (both hosts lost their
   * leases under a 1,000-tunnel start when they shared it), nor behind a main event loop held for
   * seconds at load 20 (a 5,000-tunnel bench: the lease lapsed and the host fenced itself).
   */
  private renewer: LeaseRenewer | null = null;
  private redis!: IORedis;
  private publisher!: IORedis;
  private worker!: Worker;
  private supervisor!: HostSupervisor;
  private runtime!: GatewayHostRuntime;
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private metrics: MetricsCollector | null = null;
  private writer: StateWriter | null = null;
  private stopping = false;
  private lease!: HostLease;
  private fence!: FenceGuard;
  private store!: NegotiationStore;
  private claiming = false;
  /** A fence is being applied: the watchdog waits for it before anything resumes. */
  private fencing = false;
  /** Checking which gateways are still placed here after a revival of the lease; the revivals it was logged for; no retry before. */
  private ownershipCheck = { running: false, logged: 0, notBefore: 0 };
  /** Whether another host of this database is renewing its lease (Redis), checked after our lease lapsed; see FenceGuard. */
  private othersRenewing: { at: number; others: boolean } | null = null;
  private checkingOthers = false;
  // The worker's components take a line callback at level log; dependency outages are warnings.
  private readonly log = (m: string) => this.logger.log(m);
  private readonly warn = (m: string) => this.logger.warn(m);
  private readonly depLog = throttledLog((m) => this.warn(m));

  constructor(
    private readonly config: WorkerConfig,
    private readonly logger: StructuredLogger = createLogger({ context: 'worker' }),
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const cancelled = () => this.stopping;
    // PostgreSQL unreachable at start: wait for it (charons left running keep their SAs meanwhile).
    // A bounded connect so a dead server is noticed, not waited on for the TCP timeout.
    this.db = await untilAvailable(
      'worker: PostgreSQL',
      async () => {
        const db = new DataSource(dataSourceOptions(c.databaseUrl, { extra: { max: 10, connectionTimeoutMillis: 5000 } }));
        await db.initialize();
        return db;
      },
      this.warn,
      { cancelled },
    );
    // Route notifications are best effort and must never wait: no offline queue (a publish while
    // Redis is away fails at once instead of waiting for a reconnect; the route agents' long polls
    // time out and read again anyway).
    this.publisher = new IORedis(c.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
    this.publisher.on('error', (e) => this.depLog('redis-publisher', `route notifications: ${describeError(e, 'Redis')} (tunnels are not affected)`));
    // Every job's first read, prepared once per session (a job holds one for ~1 ms of its run; 8 run at once).
    this.plans = new GenericPlans(c.databaseUrl, { max: 4, application: WORKER_GENERIC_PLAN_APPLICATION, warn: this.warn });
    const store = (this.store = new NegotiationStore(
      this.db,
      new SecretBox(c.secretsKey),
      (vpcId) => publishRoutesChanged(this.publisher, vpcId).catch(() => undefined),
      this.plans,
    ));
    this.writer = tunnelStateWriter(store, this.log);
    const tunnelStore = new WriteBehindStore(this.writer);
    this.lease = new HostLease({ ttlMs: c.leaseTtlMs, fenceMarginMs: c.leaseFenceMarginMs });
    this.fence = new FenceGuard(this.lease);
    this.renewer = new LeaseRenewer({
      databaseUrl: c.databaseUrl,
      hostId: c.hostId,
      hostname: hostname(),
      capacity: c.capacity,
      renewMs: c.leaseRenewMs,
      ttlMs: c.leaseTtlMs,
      fenceMarginMs: c.leaseFenceMarginMs,
      maxMainStallMs: c.leaseMaxMainStallMs,
      lease: this.lease,
      onRenewed: () => this.leaseRenewed(),
      onFailed: (err) =>
        this.depLog(
          'lease',
          this.lease.everHeld()
            ? `lease: ${describeError(err)} (${Math.max(0, Math.round(this.lease.msLeft()))} ms before this host may fence itself)`
            : `worker: lease: ${describeError(err)}; retrying every ${c.leaseRenewMs} ms`,
        ),
      warn: this.warn,
    });
    // The thread renews from here on, the first pass of reconcile included: a cold start's first
    // reconcile of a full host outlasts the lease's TTL, and with no renewal meanwhile every gateway
    // after the first few was refused ("this host's lease is not valid") until the next pass.
    this.renewer.start();
    // PostgreSQL away: waited for (the failures are logged); a wrong setting fails the start.
    await this.renewer
      .firstRenewal((err) => !!unavailableDependency(err))
      .catch(async (err) => {
        await this.renewer?.stop();
        throw err;
      });

    // The charon supervisor writes at its own levels (a replaced or crashed charon is a warning).
    const tag = hostTag(c.hostId);
    const runtime = new GatewayHostRuntime({
      network: createNetworkDriver(c, tag),
      baseDir: c.gatewaysDir,
      dataPlane: c.dataPlane,
      logger: this.logger,
      hostTag: tag,
    });
    this.runtime = runtime;
    this.supervisor = new HostSupervisor({
      hostId: c.hostId,
      capacity: c.capacity,
      db: this.db,
      store,
      runtime,
      tunnelStoreFor: (fence) => tunnelStore.fenced(fence),
      leaseValid: () => this.lease.isValid(),
      timings: { triesBeforeFailed: 3, quickRetryMs: c.quickRetryMs, failedRetryMs: c.retryIntervalMs },
      initiateTimeoutMs: c.initiateTimeoutMs,
      reconcileConcurrency: c.reconcileConcurrency,
      log: this.log,
      // VICI requests at debug only when debug is on: rendering them (secrets redacted) costs on every command.
      viciLogger: { warn: this.warn, ...(this.logger.enabled('debug') ? { debug: (m: string) => this.logger.debug(m) } : {}) },
    });

    // The typed catalogue: every job name has a handler, or the process refuses to start.
    const handlers: Handlers = {
      'gateway.sync': (p) => this.supervisor.syncGateway(p.gatewayId),
      'gateway.delete': (p) => this.supervisor.deleteGateway(p.gatewayId),
      'tunnel.sync': (p) => this.supervisor.syncTunnel(p.tunnelId),
      'tunnel.delete': (p) => this.supervisor.deleteTunnel(p.tunnelId),
      'tunnel.diagnose': (p) => this.supervisor.diagnoseTunnel(p.tunnelId),
    };
    for (const name of JOB_NAMES) if (!handlers[name]) throw new Error(`no handler for job ${name}`);

    // BullMQ's connection retries for ever: a Redis outage delays jobs (the reconciler catches up).
    this.redis = new IORedis(c.redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', (e) => this.depLog('redis-jobs', `job queue: ${describeError(e, 'Redis')}; jobs wait, the reconciler converges meanwhile`));
    // The watchdog needs nothing but the clock: a host cut off from PostgreSQL still fences in time.
    this.timers.push(setInterval(() => this.watchLease(), Math.min(100, c.leaseRenewMs)));
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
    this.worker.on('failed', (job, err) => this.warn(`job ${job?.id} failed: ${describeError(err)}`));
    this.worker.on('error', (err) => this.depLog('redis-worker', `job queue: ${describeError(err, 'Redis')}`));

    // The liveness file: rewritten on its own timer, so a stuck event loop (not a slow database) shows.
    this.timers.push(setInterval(() => this.writeHealth(), c.leaseRenewMs));
    this.writeHealth();
    this.timers.push(setInterval(() => void this.reconcile(), c.reconcileIntervalMs));
    this.metrics = new MetricsCollector({
      hostId: c.hostId,
      store: new SampleStore(this.db),
      gateways: () => this.supervisor.runningNegotiators(),
      connPrefix: connName(''),
      intervalMs: c.metricsIntervalMs,
      retentionDays: c.metricsRetentionDays,
      pruneIntervalMs: c.metricsPruneIntervalMs,
      log: this.log,
    });
    this.metrics.start();
    this.log(`gateway host ${c.hostId} ready (queue ${hostQueueName(c.hostId)})`);
  }

  /**
   * A renewal succeeded (the lease thread wrote it into the shared state): leave the evidence other
   * hosts' watchdogs look for, then claim. Driven by the thread's message, not a main-thread timer:
   * the mark must mean a renewal got through, and claims follow a fresh renewal.
   */
  private leaseRenewed(): void {
    if (this.stopping) return;
    this.othersRenewing = null;
    // Best effort (no offline queue): the evidence other hosts' watchdogs look for.
    void this.publisher
      .set(`${this.leaseMarkPrefix()}${this.config.hostId}`, '1', 'PX', this.config.leaseRenewMs * LEASE_EVIDENCE_RENEWALS)
      .catch(() => undefined);
    if (this.supervisor) this.leaseTick();
  }

  /** Lease marks are per database: other products sharing the Redis are not our peers. */
  private leaseMarkPrefix(): string {
    return `vpn:host-lease:${createHash('sha1').update(this.config.databaseUrl).digest('hex').slice(0, 12)}:`;
  }

  private checkOthersRenewing(): void {
    if (this.checkingOthers) return;
    this.checkingOthers = true;
    const prefix = this.leaseMarkPrefix();
    const timeout = new Promise<string[]>((_, reject) => setTimeout(() => reject(new Error('timeout')), 500).unref());
    void Promise.race([this.publisher.keys(`${prefix}*`), timeout])
      .then((keys) => (this.othersRenewing = { at: Date.now(), others: keys.some((k) => k !== `${prefix}${this.config.hostId}`) }))
      .catch(() => (this.othersRenewing = { at: Date.now(), others: false }))
      .finally(() => (this.checkingOthers = false));
  }

  /**
   * After a renewal (lease valid): claim lost hosts' gateways and drop copies that moved away. The
   * claim work runs beside the renewals, so a slow claim never delays the next one.
   */
  private leaseTick(): void {
    this.watchLease();
    if (this.claiming || this.stopping || this.fence.isFenced() || !this.lease.isValid()) return;
    this.claiming = true;
    void this.supervisor
      .leaseTick({ cordoned: this.cordoned() })
      .catch((err) => this.depLog('claim', `claiming lost hosts' gateways: ${describeError(err)}`))
      .finally(() => (this.claiming = false));
  }

  private watchLease(): void {
    // A fence under way finishes first: nothing resumes on a half-fenced host.
    if (this.stopping || this.fencing) return;
    if (this.lease.lapsed() && !this.fence.isFenced()) this.checkOthersRenewing();
    // Only an answer younger than a second counts (a check from before a freeze does not).
    const evidence = this.othersRenewing && Date.now() - this.othersRenewing.at < 1000 ? this.othersRenewing.others : null;
    const next = this.fence.next(evidence);
    if (next === 'hold') {
      this.warn(
        'lease lapsed (not renewed in time) but no other host is renewing either (PostgreSQL down for all?): still serving; fencing as soon as another host renews',
      );
    } else if (next === 'fence') {
      this.warn(`lease lapsed (not renewed in time): fencing, this host stops serving its gateways`);
      this.fencing = true;
      void this.supervisor
        .fenceAll()
        .then(() => this.log('fenced: every gateway unplugged, its charon stopped'))
        .catch((err) => this.warn(`fencing: ${describeError(err)}`))
        .finally(() => (this.fencing = false));
    } else if (next === 'resume') {
      this.log('lease renewed again: serving the gateways still placed here, removing the others');
      void this.reconcile();
    }
    if (this.lease.revivalUnchecked()) this.checkOwnership();
  }

  /**
   * The lease thread renewed the lease after it had run out (the whole process was frozen, or
   * PostgreSQL was away for longer than the TTL): the database may have expired it meanwhile and
   * other hosts may have claimed gateways served here. Until the copies of those are unplugged the
   * lease does not count as held (HostLease.isValid), so nothing is served, synced or claimed on
   * the strength of that renewal; the watchdog keeps its say (it fences when it saw the lapse and
   * another host renews).
   */
  private checkOwnership(): void {
    const check = this.ownershipCheck;
    if (check.running || !this.supervisor || Date.now() < check.notBefore) return;
    check.running = true;
    const upTo = this.lease.revivalCheckStarted();
    if (check.logged !== upTo) this.log('lease renewed after it had run out: unplugging the gateways placed elsewhere meanwhile before serving');
    check.logged = upTo;
    void this.supervisor
      .dropMovedAway()
      .then(() => this.lease.revivalChecked(upTo))
      .catch((err) => {
        check.notBefore = Date.now() + this.config.leaseRenewMs;
        this.depLog('ownership', `checking which gateways are still placed here: ${describeError(err)} (nothing new is served meanwhile)`);
      })
      .finally(() => (check.running = false));
  }

  private writeHealth(): void {
    const negotiators = this.supervisor.runningNegotiators();
    try {
      writeWorkerHealth(workerHealthPath(this.config.gatewaysDir), {
        hostId: this.config.hostId,
        pid: process.pid,
        writtenAt: new Date().toISOString(),
        lease: { held: this.lease.isValid(), msLeft: Math.max(0, Math.round(this.lease.msLeft())), fenced: this.fence.isFenced() },
        gateways: { served: negotiators.length, charonsRunning: negotiators.filter((a) => this.runtime.isCharonRunning(a.gatewayId)).length },
        memory: workerMemory(),
      });
    } catch (err) {
      this.depLog('health', `health file: ${describeError(err)}`);
    }
  }

  /** An operator cordoned or is draining this host (the last renewal said so): it takes no new gateways. */
  private cordoned(): boolean {
    const { cordoned, draining } = this.renewer!.flags();
    return cordoned || draining;
  }

  /** One reconcile at a time; a tick that finds one running skips. */
  reconcile(): Promise<void> {
    if (!this.reconciling) {
      this.reconciling = this.supervisor
        .reconcile({ claim: !this.cordoned() })
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
    // No renewal from here on (as before: a stopping worker's lease runs out, the next one renews).
    await this.renewer?.stop();
    await this.metrics?.stop();
    await this.worker?.close();
    await this.supervisor?.shutdown(opts);
    // What PostgreSQL has not taken yet gets a moment; the rest is lost (the next worker's
    // reconciler rewrites each tunnel's state from charon).
    if (this.writer) await Promise.race([this.writer.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.writer?.close();
    this.redis?.disconnect();
    this.publisher?.disconnect();
    await this.plans?.end();
    await this.db?.destroy();
  }
}
