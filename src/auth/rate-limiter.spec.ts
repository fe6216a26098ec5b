import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter without Redis', () => {
  it('lets requests through (null) at once instead of failing them, and says so once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const limiter = new RateLimiter({ redisUrl: 'redis://127.0.0.1:1/0' } as AppConfig);
    limiter.onModuleInit();
    const started = Date.now();
    expect(await limiter.hit('tenant:t1', 60)).toBeNull();
    expect(await limiter.hit('tenant:t1', 60)).toBeNull();
    expect(await limiter.peek('authfail:1.2.3.4')).toBeNull();
    expect(await limiter.admit('authfail:1.2.3.4', 3, 'tenant:t1', 60)).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(warn).toHaveBeenCalledTimes(1);
    await limiter.onModuleDestroy();
    warn.mockRestore();
  });
});
