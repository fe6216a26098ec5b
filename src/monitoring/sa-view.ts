// Pure: one gateway's `list-sas` answer read as per-tunnel monitoring facts: the CHILD_SAs with
// counters (keyed for rates.ts), health and the IKE / CHILD_SA states to show.
import type { ChildSaInfo, IkeSaEntry, ViciSection } from '../vici';
import { SaCounters } from './rates';

export interface TunnelSaView {
  /** Every CHILD_SA that reports counters (INSTALLED, REKEYING, REKEYED), any IKE_SA of the tunnel. */
  sas: SaCounters[];
  /** The most advanced IKE_SA state (ESTABLISHED over CONNECTING ...), null when there is none. */
  ikeState: string | null;
  /** INSTALLED when every expected child is; else the state of the first expected child that is not (null: absent). */
  childState: string | null;
  /** 1 when every expected CHILD_SA is INSTALLED under an ESTABLISHED IKE_SA, else 0. */
  health: 0 | 1;
}

const IKE_ORDER = ['ESTABLISHED', 'REKEYING', 'REKEYED', 'PASSIVE', 'CONNECTING', 'CREATED', 'DELETING', 'DESTROYING'];

const str = (s: ViciSection, key: string): string | undefined => (typeof s[key] === 'string' ? (s[key] as string) : undefined);

function num(s: ViciSection, key: string): number | null {
  const v = str(s, key);
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** The counters of a CHILD_SA, or null when charon lists none (not installed yet). */
export function childCounters(c: ChildSaInfo): SaCounters | null {
  const bytesIn = num(c, 'bytes-in');
  const bytesOut = num(c, 'bytes-out');
  if (bytesIn === null || bytesOut === null) return null;
  return {
    key: `${c.uniqueid ?? '?'}:${str(c, 'spi-in') ?? ''}:${str(c, 'spi-out') ?? ''}`,
    installedSecondsAgo: num(c, 'install-time'),
    bytesIn,
    bytesOut,
    packetsIn: num(c, 'packets-in') ?? 0,
    packetsOut: num(c, 'packets-out') ?? 0,
  };
}

function mostAdvanced(states: string[]): string | null {
  if (!states.length) return null;
  return [...states].sort((a, b) => rank(a) - rank(b))[0];
}

function rank(state: string): number {
  const i = IKE_ORDER.indexOf(state);
  return i < 0 ? IKE_ORDER.length : i;
}

/**
 * Groups the gateway's SAs by tunnel. `expected` gives each tunnel's CHILD_SA names (the children
 * load-conn created); a tunnel without SAs still gets a view (down, no counters).
 */
export function tunnelSaViews(entries: readonly IkeSaEntry[], connPrefix: string, expected: ReadonlyMap<string, readonly string[]>): Map<string, TunnelSaView> {
  const byTunnel = new Map<string, IkeSaEntry[]>();
  for (const e of entries) {
    if (!e.name.startsWith(connPrefix)) continue;
    const id = e.name.slice(connPrefix.length);
    byTunnel.set(id, [...(byTunnel.get(id) ?? []), e]);
  }
  const views = new Map<string, TunnelSaView>();
  for (const id of new Set([...expected.keys(), ...byTunnel.keys()])) {
    const ikes = byTunnel.get(id) ?? [];
    const sas: SaCounters[] = [];
    for (const child of ikes.flatMap((e) => e.children)) {
      const c = childCounters(child);
      if (c) sas.push(c);
    }
    const established = ikes.filter((e) => e.sa.state === 'ESTABLISHED').flatMap((e) => e.children);
    const installed = new Set(established.filter((c) => c.state === 'INSTALLED').map((c) => c.name));
    const names = expected.get(id) ?? [];
    const missing = names.find((n) => !installed.has(n));
    const health = names.length > 0 && missing === undefined ? 1 : 0;
    let childState: string | null = null;
    if (health) childState = 'INSTALLED';
    else if (missing !== undefined) {
      const child = ikes.flatMap((e) => e.children).find((c) => c.name === missing);
      childState = child?.state ?? null;
    }
    views.set(id, { sas, ikeState: mostAdvanced(ikes.map((e) => e.sa.state)), childState, health });
  }
  return views;
}
