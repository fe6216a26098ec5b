import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Job, Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import { describeError } from '../common/dependency-errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { hostQueueName, JobName, JobPayloads, jobId, PENDING_JOB_STATES } from './job-catalogue';

/** How long a request waits for Redis to take a job before it answers anyway. */
export const DISPATCH_TIMEOUT_MS = 1000;

/**
 * Enqueues jobs on a gateway host's queue. Desired state is already committed when this runs, so
 * a job is only a nudge: with Redis away the request answers all the same (the enqueue is given
 * DISPATCH_TIMEOUT_MS, then logged), and the worker's reconciler applies the change.
 */
@Injectable()
export class JobDispatcher implements OnModuleDestroy {
  private readonly connection: IORedis;
  private readonly queues = new Map<string, Queue>();
  // Completion events of a host's queue, for the one job whose answer a request waits for.
  private readonly events = new Map<string, QueueEvents>();
  private readonly eventConnections: IORedis[] = [];
  private readonly redisUrl: string;
  private readonly logger = new Logger('Jobs');

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redisUrl = config.redisUrl;
    this.connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    // Without a listener ioredis prints "Unhandled error event" at every reconnect while Redis is away.
    let lastWarned = 0;
    this.connection.on('error', (err) => {
      if (Date.now() - lastWarned < 10_000) return;
      lastWarned = Date.now();
      this.logger.warn(`job queue connection: ${describeError(err, 'Redis')}; writes still answer, the reconciler applies them`);
    });
  }

  private queue(hostId: string): Queue {
    let queue = this.queues.get(hostId);
    if (!queue) {
      queue = new Queue(hostQueueName(hostId), { connection: this.connection });
      // Without a listener BullMQ reports a Redis outage as an "Unhandled error" on the console.
      queue.on('error', (err) => this.logger.warn(`queue ${hostQueueName(hostId)}: ${describeError(err, 'Redis')}`));
      this.queues.set(hostId, queue);
    }
    return queue;
  }

  async dispatch<N extends JobName>(hostId: string | null, name: N, payload: JobPayloads[N], timeoutMs = DISPATCH_TIMEOUT_MS): Promise<void> {
    // A gateway not yet placed has no queue: the worker that claims it syncs everything it has.
    if (!hostId) return;
    const id = jobId(name, payload);
    // Left running past the timeout: if Redis comes back, the job still lands (its id is
    // deterministic, so a duplicate collapses).
    const add = this.addReplacingFailed(hostId, name, payload, id);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not take the job within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([add, timeout]);
    } catch (err) {
      add.catch(() => undefined);
      this.logger.warn(`job ${id} not enqueued: ${describeError(err, 'Redis')}; the worker's reconciler applies the change`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * BullMQ answers an add whose id it still holds with that job, whatever its state, and a failed
   * job is kept (the last 100, for the operators' list of failed jobs). Job ids are deterministic
   * (`gateway.sync.<gateway>`, `tunnel.sync.<tunnel>.v<version>`), so once one had failed for good
   * the next identical dispatch (the gateway's next change, an MSS-only edit at the same version)
   * was dropped until the reconciler's pass. A pending duplicate still collapses; a failed one is
   * replaced by the new job.
   */
  private async addReplacingFailed<N extends JobName>(hostId: string, name: N, payload: JobPayloads[N], id: string): Promise<void> {
    const queue = this.queue(hostId);
    const opts = { jobId: id, removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 1000 } };
    const job = await queue.add(name, payload, opts);
    if ((await job.getState()) !== 'failed') return;
    this.logger.log(`job ${id} had failed (${job.failedReason ?? 'no reason kept'}): replaced by this dispatch`);
    await job.remove();
    await queue.add(name, payload, opts);
  }

  /**
   * Enqueues a job and waits for the worker's answer (its handler's return value). Rejects after
   * timeoutMs (the host is down or busy): the caller says so instead of waiting.
   */
  async ask<N extends JobName>(hostId: string, name: N, payload: JobPayloads[N], timeoutMs: number): Promise<unknown> {
    let events = this.events.get(hostId);
    if (!events) {
      // A blocking reader: it needs a connection of its own.
      const connection = new IORedis(this.redisUrl, { maxRetriesPerRequest: null });
      this.eventConnections.push(connection);
      events = new QueueEvents(hostQueueName(hostId), { connection });
      events.on('error', (err) => this.logger.warn(`queue events ${hostQueueName(hostId)}: ${describeError(err, 'Redis')}`));
      this.events.set(hostId, events);
    }
    const deadline = Date.now() + timeoutMs;
    const within = <T>(p: Promise<T>, what: string) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        p,
        new Promise<never>(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()))),
        ),
      ]).finally(() => clearTimeout(timer));
    };
    await within(events.waitUntilReady(), 'queue events');
    // Kept a minute after completion, so the answer is still there if the event beat our listener.
    const job = await within(
      this.queue(hostId).add(name, payload, {
        jobId: jobId(name, payload),
        attempts: 1,
        priority: 1,
        removeOnComplete: { age: 60 },
        removeOnFail: { age: 60 },
      }),
      'enqueue',
    );
    return within(job.waitUntilFinished(events, timeoutMs), hostQueueName(hostId));
  }

  /** Jobs of a host's queue by state (waiting, active, delayed, prioritized, waiting-children, failed, completed), for /metrics. */
  jobCounts(hostId: string): Promise<Record<string, number>> {
    return this.queue(hostId).getJobCounts(...PENDING_JOB_STATES, 'failed', 'completed');
  }

  /**
   * The job counts of several hosts' queues (/metrics and GET /api/v1/gateway-hosts). Rejects when
   * Redis has not answered them all within `timeoutMs`: a down Redis must not hang a read (ioredis
   * would retry forever), the callers report the queues as unknown instead.
   */
  jobCountsOf(hostIds: string[], timeoutMs: number): Promise<Map<string, Record<string, number>>> {
    const all = Promise.all(hostIds.map(async (id) => [id, await this.jobCounts(id)] as const)).then((pairs) => new Map(pairs));
    return Promise.race([all, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
  }

  /**
   * A host queue's failed jobs, newest first (the queue keeps the last 100: removeOnFail), for the
   * operator's hosts page. Rejects when Redis has not answered within `timeoutMs`, as jobCountsOf.
   */
  failedJobs(hostId: string, limit: number, timeoutMs: number): Promise<Job[]> {
    return Promise.race([
      this.queue(hostId).getFailed(0, limit - 1),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
  }

  async ping(): Promise<boolean> {
    if (this.connection.status === 'wait') await this.connection.connect();
    return (await this.connection.ping()) === 'PONG';
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values(), ...this.events.values()].map((q) => q.close()));
    for (const c of this.eventConnections) c.disconnect();
    this.connection.disconnect();
  }
}
