// Load generation and latency statistics for the API benchmark (bench/api.ts).
import { performance } from 'perf_hooks';

export interface Figures {
  requests: number;
  concurrency: number;
  errors: number;
  /** Status codes other than the expected one, with their counts (e.g. {"409": 2}). */
  unexpected: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  perSecond: number;
  wallMs: number;
}

/** One request to make: the bench's call builds it from the request's sequence number. */
export type Call = (i: number) => { path: string; method?: 'GET' | 'POST'; body?: unknown; expect?: number };

const round = (n: number) => Math.round(n * 100) / 100;

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export class Client {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  /** One request; the body is read fully so the latency covers the whole response. */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  async json<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text) as T;
  }

  /**
   * `total` requests, `concurrency` in flight at a time (Node's fetch keeps connections alive).
   * Every request's latency counts; a network error or an unexpected status counts as an error.
   */
  async run(total: number, concurrency: number, call: Call, onError?: (status: number, text: string) => void): Promise<Figures> {
    const latencies: number[] = [];
    const unexpected: Record<string, number> = {};
    let next = 0;
    let errors = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const c = call(i);
        const t0 = performance.now();
        let status = 0;
        let text: string;
        try {
          ({ status, text } = await this.request(c.method ?? 'GET', c.path, c.body));
        } catch (err) {
          text = String(err);
        }
        latencies.push(performance.now() - t0);
        if (status !== (c.expect ?? 200)) {
          errors++;
          unexpected[String(status)] = (unexpected[String(status)] ?? 0) + 1;
          onError?.(status, text);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
    const wallMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      requests: total,
      concurrency,
      errors,
      unexpected,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1]),
      meanMs: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
      perSecond: round((total / wallMs) * 1000),
      wallMs: Math.round(wallMs),
    };
  }
}
