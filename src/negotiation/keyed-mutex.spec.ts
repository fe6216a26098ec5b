import { KeyedLimiter } from './keyed-mutex';

describe('KeyedLimiter', () => {
  it('runs at most `limit` tasks per key, the rest in order, other keys beside them', async () => {
    const limiter = new KeyedLimiter(2);
    const running = new Map<string, number>();
    let peak = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const task = (key: string, n: number) =>
      limiter.run(key, async () => {
        running.set(key, (running.get(key) ?? 0) + 1);
        if (key === 'a') peak = Math.max(peak, running.get(key)!);
        order.push(n);
        await new Promise<void>((r) => releases.push(r));
        running.set(key, running.get(key)! - 1);
        return n;
      });
    const all = [task('a', 1), task('a', 2), task('a', 3), task('a', 4), task('b', 5)];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1, 2, 5]);
    // A newcomer arriving as a slot frees does not overtake the ones waiting.
    releases.shift()!();
    const late = task('a', 6);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1, 2, 5, 3]);
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await expect(Promise.all([...all, late])).resolves.toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 5, 3, 4, 6]);
  });

  it('frees the slot of a task that throws', async () => {
    const limiter = new KeyedLimiter(1);
    await expect(
      limiter.run('a', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(limiter.run('a', async () => 'next')).resolves.toBe('next');
  });
});
