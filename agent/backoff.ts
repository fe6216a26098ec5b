// Reconnect delays: exponential (1 s doubling to 30 s) with jitter, so that many agents cut off
// by one API outage do not all come back in the same second.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  // Each delay is drawn from [d * (1 - jitter), d * (1 + jitter)], capped at maxMs.
  jitter?: number;
  random?: () => number; // injectable for tests
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 1000;
    this.maxMs = o.maxMs ?? 30_000;
    this.jitter = o.jitter ?? 0.2;
    this.random = o.random ?? Math.random;
  }

  // The delay before the next try; each call doubles the base until the cap.
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const factor = 1 - this.jitter + 2 * this.jitter * this.random();
    return Math.round(Math.min(this.maxMs, base * factor));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
