// Which routes each instance (and each VPC router) must carry, derived from the tunnels. Pure.
//
// Hold-down: a tunnel contributes while it is connected, and for `holdDownMs` after it stopped
// being connected (a rekey, a DPD blip, a reconnect after an edit). Withdrawing routes on every
// flap would make traffic take the VPC's default route for a moment; keeping them forever would
// black-hole traffic to a dead site. After the hold-down, they go.
import { createHash } from 'crypto';
import { firstHost } from '../common/cidr';

export interface RoutingTunnel {
  id: string;
  gatewayId: string;
  gatewaySubnetId: string;
  gatewayPrivateIp: string;
  localSubnetIds: string[];
  remoteCidrs: string[];
  connectionState: string;
  resourceState: string;
  disconnectedAt: Date | null;
  /** One CHILD_SA per subnet pair (IKEv1): which (local CIDR, remote CIDR) pairs are up; null: not tracked. */
  pairStates?: { local: string; remote: string; up: boolean }[] | null;
}

export interface RoutingSubnet {
  id: string;
  cidr: string;
}

export interface Route {
  destination: string;
  via: string;
}

export interface RouteConflict {
  destination: string;
  candidates: { via: string; tunnelId: string }[];
  chosen: string;
}

export interface TargetRoutes {
  version: string;
  routes: Route[];
  /** Tunnels that contributed, for push status. */
  tunnelIds: string[];
  conflicts: RouteConflict[];
  /** When a contributing tunnel's hold-down ends (the set changes then without any event). */
  holdDownEndsAt: Date | null;
}

export type RouteTargetRef = { kind: 'instance'; subnetId: string } | { kind: 'vpc_router' };

function carriesTraffic(t: RoutingTunnel): boolean {
  return !(t.resourceState === 'deleting' || t.resourceState === 'error' || t.resourceState === 'expired');
}

/** Every route of the tunnel stands: it is connected, or left `connected` within the hold-down. */
export function isRoutable(t: RoutingTunnel, now: Date, holdDownMs: number): boolean {
  if (!carriesTraffic(t)) return false;
  if (t.connectionState === 'connected') return true;
  return !!t.disconnectedAt && now.getTime() - t.disconnectedAt.getTime() < holdDownMs;
}

/**
 * The remote CIDRs routed for these local subnet CIDRs: all of them while the tunnel is routable,
 * otherwise those whose pair has its CHILD_SA installed (one failing pair of an IKEv1 tunnel must
 * not withdraw the routes of the pairs that work).
 */
function routedRemotes(t: RoutingTunnel, localCidrs: string[], now: Date, holdDownMs: number): string[] {
  if (isRoutable(t, now, holdDownMs)) return t.remoteCidrs;
  if (!carriesTraffic(t) || !t.pairStates) return [];
  return t.remoteCidrs.filter((r) => t.pairStates!.some((p) => p.up && p.remote === r && localCidrs.includes(p.local)));
}

/** The first host of a subnet: the VPC's router there. */
export const subnetRouterIp = firstHost;

export function desiredRoutes(target: RouteTargetRef, tunnels: RoutingTunnel[], subnets: RoutingSubnet[], now: Date, holdDownMs: number): TargetRoutes {
  const cidrOf = new Map(subnets.map((s) => [s.id, s.cidr]));
  const candidates = new Map<string, { via: string; tunnelId: string }[]>();
  let holdDownEndsAt: Date | null = null;
  // Plain code-unit order (ids are ASCII): a third of localeCompare's time on 10,000 tunnels.
  for (const t of [...tunnels].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (!carriesTraffic(t)) continue;
    if (isRoutable(t, now, holdDownMs) && t.connectionState !== 'connected' && t.disconnectedAt) {
      const ends = new Date(t.disconnectedAt.getTime() + holdDownMs);
      if (!holdDownEndsAt || ends < holdDownEndsAt) holdDownEndsAt = ends;
    }
    let via: string | null;
    let localCidrs: string[];
    if (target.kind === 'instance') {
      if (!t.localSubnetIds.includes(target.subnetId)) continue;
      // On the gateway's own subnet the gateway is on-link; elsewhere the subnet's router is the
      // next hop and the VPC router carries the route on to the gateway.
      const cidr = cidrOf.get(target.subnetId);
      via = target.subnetId === t.gatewaySubnetId || !cidr ? t.gatewayPrivateIp : subnetRouterIp(cidr);
      localCidrs = cidr ? [cidr] : [];
    } else {
      const others = t.localSubnetIds.filter((s) => s !== t.gatewaySubnetId);
      if (!others.length) continue;
      via = t.gatewayPrivateIp;
      localCidrs = others.map((s) => cidrOf.get(s)).filter((c): c is string => !!c);
    }
    for (const destination of routedRemotes(t, localCidrs, now, holdDownMs)) {
      const list = candidates.get(destination) ?? [];
      list.push({ via, tunnelId: t.id });
      candidates.set(destination, list);
    }
  }
  const routes: Route[] = [];
  const conflicts: RouteConflict[] = [];
  const tunnelIds = new Set<string>();
  for (const [destination, list] of [...candidates.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const vias = [...new Set(list.map((c) => c.via))];
    // Deterministic winner (the oldest id), so a conflict never makes the route flap.
    const chosen = list[0];
    if (vias.length > 1) conflicts.push({ destination, candidates: list, chosen: chosen.via });
    routes.push({ destination, via: chosen.via });
    for (const c of list) if (c.via === chosen.via) tunnelIds.add(c.tunnelId);
  }
  return { version: routeVersion(routes), routes, tunnelIds: [...tunnelIds], conflicts, holdDownEndsAt };
}

/** A short digest of the route set: equal sets, equal versions, whatever the order. */
export function routeVersion(routes: Route[]): string {
  const canonical = routes
    .map((r) => `${r.destination}>${r.via}`)
    .sort()
    .join(',');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
