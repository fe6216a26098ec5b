// A job that failed for good must not swallow the next identical dispatch: job ids are
// deterministic, and BullMQ keeps failed jobs (real Redis, a real BullMQ worker).
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { AppConfig } from '../../src/config/config';
import { hostQueueName, jobId } from '../../src/jobs/job-catalogue';
import { JobDispatcher } from '../../src/jobs/job-dispatcher';
import { TEST_REDIS_URL } from '../support/env';

describe('job dispatch after a failed job with the same id', () => {
  const host = `gh-dispatch-${Date.now()}`;
  let redis: IORedis;
  let queue: Queue;
  let jobs: JobDispatcher;

  beforeAll(() => {
    redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(hostQueueName(host), { connection: redis });
    jobs = new JobDispatcher({ redisUrl: TEST_REDIS_URL } as AppConfig);
  });

  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await jobs.onModuleDestroy();
    redis.disconnect();
  });

  it('replaces a failed job, and still collapses a pending duplicate', async () => {
    const payload = { gatewayId: 'vpngw-dispatch1' };
    const id = jobId('gateway.sync', payload);
    // A worker that fails the job for good (no retries), as a job that exhausted its attempts.
    const workerConnection = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(
      hostQueueName(host),
      async () => {
        throw new UnrecoverableError('the host could not apply it');
      },
      { connection: workerConnection },
    );
    const failed = new Promise<void>((resolve) => worker.on('failed', () => resolve()));
    await jobs.dispatch(host, 'gateway.sync', payload);
    await failed;
    await worker.close();
    workerConnection.disconnect();
    expect(await (await queue.getJob(id))?.getState()).toBe('failed');

    await jobs.dispatch(host, 'gateway.sync', payload);
    const replaced = await queue.getJob(id);
    expect(await replaced?.getState()).toBe('waiting');
    expect(replaced?.data).toEqual(payload);
    expect(replaced?.attemptsMade).toBe(0);

    // A second dispatch while that one waits is the same job, not another.
    await jobs.dispatch(host, 'gateway.sync', payload);
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
  });
});
