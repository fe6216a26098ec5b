// Live updates (web/README.md "Live updates"): one "changed since" poll for the whole page.
// GET /api/v1/changes answers a version per topic (tunnels, gateways, peers, alerts; operators:
// gateways, hosts, tenants); every list and detail page subscribes to its topics and fetches its own
// data again only when one of them moved. One small request every 3 s while the tab is visible,
// whatever the number of tunnels; nothing while it is hidden (a visible tab catches up at once).
import { useEffect, useRef } from 'react';
import { api, call } from '../api/client';

export type Topic = 'tunnels' | 'gateways' | 'peers' | 'alerts' | 'hosts' | 'tenants';

export const LIVE_POLL_MS = 3000;

type Listener = { topics: readonly Topic[]; fire: () => void };
const listeners = new Set<Listener>();
let last: Record<string, string> | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight = false;

async function tick(): Promise<void> {
  timer = null;
  if (!listeners.size) return;
  if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return schedule();
  if (!inFlight) {
    inFlight = true;
    try {
      const { versions } = await call(api.GET('/api/v1/changes'));
      const prev = last;
      last = versions;
      if (prev) {
        const moved = new Set(Object.keys(versions).filter((k) => versions[k] !== prev[k]));
        if (moved.size) for (const l of [...listeners]) if (l.topics.some((t) => moved.has(t))) l.fire();
      }
    } catch {
      // Offline or a restarting API: try again on the next tick.
    } finally {
      inFlight = false;
    }
  }
  schedule();
}

function schedule(): void {
  if (timer === null && listeners.size) timer = setTimeout(() => void tick(), LIVE_POLL_MS);
}

if (typeof document !== 'undefined') {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && listeners.size) {
      if (timer !== null) clearTimeout(timer);
      void tick();
    }
  });
}

/** Calls `onChange` whenever one of the topics changed on the server (not on mount). */
export function useLive(topics: readonly Topic[] | undefined, onChange: () => void): void {
  const ref = useRef(onChange);
  ref.current = onChange;
  const key = topics?.join(',') ?? '';
  useEffect(() => {
    if (!key) return;
    const l: Listener = { topics: key.split(',') as Topic[], fire: () => ref.current() };
    listeners.add(l);
    if (timer === null) {
      // The first answer is the baseline: the page has just loaded its data.
      if (!last) void tick();
      else schedule();
    }
    return () => {
      listeners.delete(l);
      if (!listeners.size && timer !== null) {
        clearTimeout(timer);
        timer = null;
        last = null;
      }
    };
  }, [key]);
}
