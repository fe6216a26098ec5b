// The first page of a list, requested by the inline script in index.html while the page's code
// loads (on a cold load of /vpn-tunnels the request and the code download run in parallel: the
// 1,000-tunnel target). Taken over here so the list can use it instead of asking again.
export const FIRST_PAGE = { offset: 0, limit: 20 };

const pending = new Map<string, Promise<unknown>>();
// Bodies that already arrived: the list's first render can use them directly (no loading render).
const arrived = new Map<string, unknown>();

declare global {
  interface Window {
    __firstPage?: { api: string; body: Promise<unknown> };
  }
}

/** Adopts the inline script's request, if it made one (only for the unfiltered first page). */
export function adoptFirstPage(): void {
  const early = window.__firstPage;
  window.__firstPage = undefined;
  if (!early) return;
  const { api } = early;
  const body = early.body.then((json: unknown) => {
    if (json && pending.has(api)) arrived.set(api, json);
    return json;
  });
  pending.set(api, body);
}

/** The first page if it has already arrived (consumed once), for the list's initial state. */
export function firstPageNow<T>(api: string): T | null {
  const body = arrived.get(api);
  if (body === undefined) return null;
  arrived.delete(api);
  pending.delete(api);
  return body as T;
}

/** The prefetched first page (once), or null: callers fall back to their own request. */
export async function takeFirstPage<T>(api: string, params: Record<string, unknown>): Promise<T | null> {
  const p = pending.get(api);
  if (!p) return null;
  pending.delete(api);
  const keys = Object.entries(params).filter(([, v]) => v !== undefined);
  if (keys.length !== 2 || params.offset !== FIRST_PAGE.offset || params.limit !== FIRST_PAGE.limit) return null;
  arrived.delete(api);
  return ((await p) as T | null) ?? null;
}
