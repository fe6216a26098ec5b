// Issue 12: a committed write must answer although Redis is away. A real ioredis client against a
// port nobody listens on (Redis down): the enqueue gives up after its timeout, logged, not thrown.
import { Logger } from '@nestjs/common';
import { createServer } from 'net';
import { AppConfig } from '../config/config';
import { JobDispatcher } from './job-dispatcher';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('JobDispatcher with Redis down', () => {
  it('answers within its timeout and logs the job it could not enqueue', async () => {
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
    const jobs = new JobDispatcher({ redisUrl: `redis://127.0.0.1:${await closedPort()}/0` } as AppConfig);
    try {
      const started = Date.now();
      await expect(jobs.dispatch('host-x', 'tunnel.sync', { tunnelId: 'vpntnl-abc', configVersion: 2 }, 300)).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1500);
      expect(warnings.join('\n')).toMatch(/job tunnel\.sync\..*vpntnl-abc.* not enqueued: .*the worker's reconciler applies the change/);
    } finally {
      await jobs.onModuleDestroy();
      jest.restoreAllMocks();
    }
  });
});
