// The agent's side of the API contract: long-poll the desired routes, report what was applied.
// node:http through httpFetch (not the global fetch: see http-fetch.ts); the token comes from a
// callback so a rotated token file is picked up.
import { AgentFetch, AgentResponse, httpFetch } from './http-fetch';

export interface RouteEntry {
  destination: string;
  via: string;
}

export interface DesiredState {
  version: string;
  routes: RouteEntry[];
  pollAfterSeconds: number;
}

export interface Report {
  appliedVersion: string;
  agentVersion: string;
  error: string | null;
}

// 401/403: the token is unknown or revoked. Keep the routes, retry slowly.
export class AuthError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'AuthError';
  }
}

// The API could not be reached or answered something unusable: back off and retry.
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface AgentApiOptions {
  apiUrl: string;
  token: () => string;
  agentVersion: string;
  fetchImpl?: AgentFetch;
  // Added to the long-poll wait before the client gives up on an answer.
  graceMs?: number;
}

export function parseDesiredState(body: unknown): DesiredState {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object') throw new ApiError('routes answer is not a JSON object');
  if (typeof b.version !== 'string' || !b.version) throw new ApiError('routes answer has no version');
  if (!Array.isArray(b.routes)) throw new ApiError('routes answer has no routes array');
  const routes: RouteEntry[] = [];
  for (const r of b.routes as Record<string, unknown>[]) {
    if (!r || typeof r.destination !== 'string' || typeof r.via !== 'string') throw new ApiError(`routes answer has a malformed route: ${JSON.stringify(r)}`);
    routes.push({ destination: r.destination, via: r.via });
  }
  const after = typeof b.pollAfterSeconds === 'number' && Number.isFinite(b.pollAfterSeconds) ? b.pollAfterSeconds : 0;
  return { version: b.version, routes, pollAfterSeconds: Math.min(Math.max(after, 0), 3600) };
}

// The server's error message, without echoing anything large.
function detailOf(text: string): string {
  try {
    const j = JSON.parse(text) as { code?: unknown; message?: unknown };
    return [j.code, j.message]
      .filter((x) => typeof x === 'string')
      .join(': ')
      .slice(0, 200);
  } catch {
    return text.trim().slice(0, 200);
  }
}

export class AgentApiClient {
  private readonly fetchImpl: AgentFetch;

  constructor(private readonly o: AgentApiOptions) {
    this.fetchImpl = o.fetchImpl ?? httpFetch;
  }

  async fetchRoutes(version: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<DesiredState> {
    const q = new URLSearchParams();
    if (version !== undefined) {
      q.set('version', version);
      q.set('wait', String(waitSeconds));
    }
    const query = q.toString();
    const timeoutMs = (version !== undefined ? waitSeconds * 1000 : 0) + (this.o.graceMs ?? 15_000);
    const text = await this.request('GET', `/api/v1/agent/routes${query ? `?${query}` : ''}`, undefined, timeoutMs, signal, 200);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError('routes answer is not JSON');
    }
    return parseDesiredState(body);
  }

  async report(r: Report, signal?: AbortSignal): Promise<void> {
    await this.request('POST', '/api/v1/agent/report', r, this.o.graceMs ?? 15_000, signal, 204);
  }

  private async request(method: string, path: string, payload: unknown, timeoutMs: number, signal: AbortSignal | undefined, ok: number): Promise<string> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: AgentResponse;
    try {
      res = await this.fetchImpl(`${this.o.apiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.o.token()}`,
          'X-Agent-Version': this.o.agentVersion,
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
        body: payload ? JSON.stringify(payload) : undefined,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      if (signal?.aborted) throw e; // stopping: not an API problem
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = timeout.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new ApiError(`${method} ${path.split('?')[0]}: ${why}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) throw new AuthError(res.status, detailOf(text));
    // 200 for GET, 204 for the report; any 2xx is accepted for the report.
    if (res.status !== ok && !(ok === 204 && res.ok))
      throw new ApiError(`${method} ${path.split('?')[0]}: HTTP ${res.status} ${detailOf(text)}`.trim(), res.status);
    return text;
  }
}
