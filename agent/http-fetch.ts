// The agent's HTTP client: node:http/https behind the few parts of fetch's interface the agent
// uses. Node's global fetch (undici) compiles a WebAssembly HTTP parser on first use and keeps it:
// about 15 MiB of the agent's resident memory (measured: 68 MiB with fetch, 44 MiB without), on
// every VM. Errors keep fetch's shape (a TypeError whose cause carries the socket's code).
import * as http from 'node:http';
import * as https from 'node:https';

export interface AgentRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface AgentResponse {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

export type AgentFetch = (url: string, init: AgentRequestInit) => Promise<AgentResponse>;

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export const httpFetch: AgentFetch = (url, init) =>
  new Promise<AgentResponse>((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const fail = (cause: unknown) => reject(Object.assign(new TypeError('fetch failed'), { cause }));
    if (init.signal?.aborted) return fail(init.signal.reason);
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.body !== undefined) headers['Content-Length'] = Buffer.byteLength(init.body);
    const req = transport.request(target, { method: init.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => {
        init.signal?.removeEventListener('abort', onAbort);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: () => Promise.resolve(text) });
      });
    });
    const onAbort = () => req.destroy(init.signal!.reason instanceof Error ? init.signal!.reason : new Error('aborted'));
    init.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      init.signal?.removeEventListener('abort', onAbort);
      fail(e);
    });
    req.end(init.body);
  });
