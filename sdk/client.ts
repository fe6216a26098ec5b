// The SDK's client: openapi-fetch over the types generated from docs/openapi.json (schema.d.ts),
// authenticated with an API key, with the helpers scripts need (all pages, wait for a tunnel).
import createClient, { type Client } from 'openapi-fetch';
import { call, type Schemas } from './errors';
import type { paths } from './schema';

export type Tunnel = Schemas['TunnelDto'];
export type ConnectionState = Tunnel['connectionState'];

export interface VpnClientOptions {
  /** The API's origin, e.g. http://127.0.0.1:8080 (paths carry /api/v1). */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

export interface VpnClient {
  /** The typed client: `vpn.api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id } } })`. */
  api: Client<paths>;
  /** Unwraps a result: the data, or throws ApiError. */
  call: typeof call;
}

export function createVpnClient(opts: VpnClientOptions): VpnClient {
  const api = createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { Authorization: `Bearer ${opts.apiKey}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return { api, call };
}

/** waitForTunnel gave up: `last` is the tunnel as last seen (its state and failure say why). */
export class WaitTimeout extends Error {
  constructor(
    readonly last: Tunnel,
    readonly wanted: ConnectionState,
    readonly timeoutMs: number,
  ) {
    super(
      `tunnel ${last.id} is ${last.connectionState}${last.failure ? ` (${last.failure.code})` : ''}, not ${wanted}, after ${Math.round(timeoutMs / 1000)} s`,
    );
    this.name = 'WaitTimeout';
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Between two reads of the tunnel; default 1 s. */
  intervalMs?: number;
  /** Called with every read, e.g. to print the state, the attempt and the reason. */
  onProgress?: (tunnel: Tunnel) => void;
}

/**
 * Polls the tunnel until its connectionState is `state` (and it is not being deleted): resolves
 * with the tunnel, or rejects with WaitTimeout. A failed attempt does not end the wait: the
 * platform retries by itself and the tunnel may still connect in time.
 */
export async function waitForTunnel(vpn: VpnClient, id: string, state: ConnectionState, opts: WaitOptions): Promise<Tunnel> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  for (;;) {
    const tunnel = await vpn.call(vpn.api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id }, query: {} } }));
    opts.onProgress?.(tunnel);
    if (tunnel.connectionState === state && tunnel.resourceState !== 'deleting') return tunnel;
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeout(tunnel, state, opts.timeoutMs);
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
  }
}
