import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { hostQueueName, JobName, JobPayloads, jobId } from './job-catalogue';

/** Enqueues jobs on a gateway host's queue. Desired state is already committed when this runs. */
@Injectable()
export class JobDispatcher implements OnModuleDestroy {
  private readonly connection: IORedis;
  private readonly queues = new Map<string, Queue>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  }

  private queue(hostId: string): Queue {
    let queue = this.queues.get(hostId);
    if (!queue) {
      queue = new Queue(hostQueueName(hostId), { connection: this.connection });
      this.queues.set(hostId, queue);
    }
    return queue;
  }

  async dispatch<N extends JobName>(hostId: string | null, name: N, payload: JobPayloads[N]): Promise<void> {
    // A gateway not yet placed has no queue: the worker that claims it syncs everything it has.
    if (!hostId) return;
    await this.queue(hostId).add(name, payload, {
      jobId: jobId(name, payload),
      removeOnComplete: true,
      removeOnFail: 100,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
    });
  }

  /** Jobs of a host's queue by state (waiting, active, delayed, prioritized, waiting-children, failed, completed), for /metrics. */
  jobCounts(hostId: string): Promise<Record<string, number>> {
    return this.queue(hostId).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed');
  }

  async ping(): Promise<boolean> {
    if (this.connection.status === 'wait') await this.connection.connect();
    return (await this.connection.ping()) === 'PONG';
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
