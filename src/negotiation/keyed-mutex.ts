/** Runs tasks one at a time per key (one gateway's changes never interleave). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Tasks started so far, all keys together: a caller that read state before run() can tell whether another task ran since. */
  started = 0;

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.started++;
        return task();
      });
    this.tails.set(key, next);
    void next
      .finally(() => {
        if (this.tails.get(key) === next) this.tails.delete(key);
      })
      .catch(() => undefined);
    return next;
  }
}

/** Runs at most `limit` tasks at a time per key; the others wait their turn in order. */
export class KeyedLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.running.get(key) ?? 0;
    // Full: wait until a finishing task hands its slot over (so a newcomer cannot take it first).
    if (running >= this.limit) await new Promise<void>((resolve) => this.waiting.set(key, [...(this.waiting.get(key) ?? []), resolve]));
    else this.running.set(key, running + 1);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  private release(key: string): void {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue && !queue.length) this.waiting.delete(key);
    if (next) return next();
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
  }
}
