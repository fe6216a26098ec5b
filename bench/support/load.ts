// Load generation and latency statistics for the API benchmark (bench/api.ts).
import { Agent, request as httpRequest } from 'http';
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

/**
 * The bench's HTTP client: node:http with a keep-alive agent (one socket per request in flight,
 * reused). It shares the machine's cores with the API and PostgreSQL, so it should cost little:
 * Node's fetch (undici) cost 0.76-1.91 ms of CPU a searched request here against 0.26-0.92 ms for this
 * (docs/operations.md, issue 20 lists). The latency still covers the whole answer, body read.
 */
export class Client {
  private readonly agent = new Agent({ keepAlive: true });
  private readonly host: string;
  private readonly port: number;
  private readonly prefix: string;

  constructor(
    base: string,
    private readonly key: string,
  ) {
    const url = new URL(base);
    if (url.protocol !== 'http:') throw new Error(`the bench client speaks plain http, not ${url.protocol} (${base})`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.prefix = url.pathname.replace(/\/$/, '');
  }

  /** One request; the body is read fully so the latency covers the whole response. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.key}` };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: this.host, port: this.port, method, path: this.prefix + path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text) as T;
  }

  /**
   * `total` requests, `concurrency` in flight at a time (on kept-alive connections).
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
