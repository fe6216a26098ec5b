// Start-up and background work that waits for PostgreSQL or Redis instead of failing: retried with
// back-off while the dependency is unreachable, logged once per try with the dependency's name.
import { Dependency, describeError, unavailableDependency } from './dependency-errors';

export interface WaitOptions {
  /** Which dependency a bare socket error (ECONNREFUSED) is about. */
  dependency?: Dependency;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stop waiting (the process is shutting down). */
  cancelled?: () => boolean;
}

/**
 * Runs `fn` until it succeeds; an error that says a dependency is unreachable is logged and
 * retried after a growing delay, any other error is thrown at once (a wrong setting must fail).
 */
export async function untilAvailable<T>(what: string, fn: () => Promise<T>, log: (m: string) => void, o: WaitOptions = {}): Promise<T> {
  let delay = o.initialDelayMs ?? 500;
  const max = o.maxDelayMs ?? 10_000;
  const since = Date.now();
  for (;;) {
    try {
      const result = await fn();
      if (Date.now() - since > delay) log(`${what}: ready after ${Math.round((Date.now() - since) / 1000)} s`);
      return result;
    } catch (err) {
      if (!unavailableDependency(err, o.dependency) || o.cancelled?.()) throw err;
      log(`${what}: ${describeError(err, o.dependency)}; retrying in ${Math.round(delay / 100) / 10} s`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(max, delay * 2);
    }
  }
}

/** A log function that says the same kind of thing at most once per `periodMs`. */
export function throttledLog(log: (m: string) => void, periodMs = 10_000): (key: string, message: string) => void {
  const last = new Map<string, number>();
  return (key, message) => {
    const now = Date.now();
    if (now - (last.get(key) ?? 0) < periodMs) return;
    last.set(key, now);
    log(message);
  };
}
