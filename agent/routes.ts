// Pure route logic: normalising destinations, reading `ip -j route` output and computing the
// changes that turn the routes the agent owns into the desired set. No I/O here.

export interface DesiredRoute {
  destination: string; // canonical IPv4 CIDR, e.g. '172.16.1.0/24'
  via: string; // IPv4 next hop
}

// A route as the kernel lists it (main table).
export interface KernelRoute {
  destination: string; // canonical CIDR ('default' -> '0.0.0.0/0', a host -> '/32')
  via?: string;
  dev?: string;
  metric: number; // 0 when ip omits it
  protocol?: string; // as printed by `ip -N` (a number); absent for proto boot, which ip does not print
}

export interface RouteDelete {
  destination: string;
  metric: number;
}

export interface RouteDiff {
  replace: DesiredRoute[];
  remove: RouteDelete[];
  // Desired destinations we refuse to install: another protocol's route holds that slot with
  // another next hop, and `ip route replace` would overwrite it. (Held with the desired next hop,
  // e.g. added by hand, it already does the job: neither installed nor reported.)
  conflicts: { route: DesiredRoute; protocol: string }[];
}

function ipv4ToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255) || m.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function isIpv4(ip: string): boolean {
  return ipv4ToInt(ip) !== null;
}

// '172.16.1.7/24' -> '172.16.1.0/24' (the kernel would refuse the host bits), '10.0.0.5' ->
// '10.0.0.5/32', 'default' -> '0.0.0.0/0'. null when it is not an IPv4 destination.
export function normalizeDestination(dst: string): string | null {
  if (dst === 'default') return '0.0.0.0/0';
  const [addr, len, extra] = dst.split('/');
  if (extra !== undefined) return null;
  const ip = ipv4ToInt(addr);
  if (ip === null) return null;
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${intToIpv4((ip & mask) >>> 0)}/${prefix}`;
}

// Parses `ip -j route show ...` (an array of objects). Entries that are not plain IPv4 unicast
// routes (multipath without a gateway, unreachable, ...) keep what can be read.
export function parseIpRoutes(json: string): KernelRoute[] {
  const text = json.trim();
  if (!text) return [];
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('ip -j route: expected a JSON array');
  const out: KernelRoute[] = [];
  for (const r of raw as Record<string, unknown>[]) {
    if (!r || typeof r.dst !== 'string') continue;
    const destination = normalizeDestination(r.dst);
    if (!destination) continue;
    out.push({
      destination,
      via: typeof r.gateway === 'string' ? r.gateway : undefined,
      dev: typeof r.dev === 'string' ? r.dev : undefined,
      metric: typeof r.metric === 'number' ? r.metric : 0,
      protocol: r.protocol === undefined ? undefined : String(r.protocol),
    });
  }
  return out;
}

// Validates and normalises what the API sent. Bad entries are reported, not applied; the first
// entry wins when a destination repeats.
export function normalizeDesired(routes: readonly { destination: string; via: string }[]): { routes: DesiredRoute[]; errors: string[] } {
  const byDst = new Map<string, DesiredRoute>();
  const errors: string[] = [];
  for (const r of routes) {
    const destination = normalizeDestination(String(r.destination));
    if (!destination || !isIpv4(String(r.via))) {
      errors.push(`invalid route ${JSON.stringify(r)} (IPv4 destination and via expected)`);
      continue;
    }
    if (byDst.has(destination)) {
      errors.push(`duplicate destination ${destination}: kept via ${byDst.get(destination)!.via}, ignored via ${r.via}`);
      continue;
    }
    byDst.set(destination, { destination, via: r.via });
  }
  return { routes: [...byDst.values()], errors };
}

// owned: routes carrying our protocol; foreign: every other route of the table. Only owned routes
// are ever replaced or deleted; a desired destination whose metric-0 slot another protocol holds
// is left to it (a conflict unless it already points at the desired next hop).
export function diffRoutes(desired: readonly DesiredRoute[], owned: readonly KernelRoute[], foreign: readonly KernelRoute[] = []): RouteDiff {
  const diff: RouteDiff = { replace: [], remove: [], conflicts: [] };
  const taken = new Map(foreign.filter((r) => r.metric === 0).map((r) => [r.destination, r]));
  const wanted = new Map(desired.map((r) => [r.destination, r]));
  for (const r of desired) {
    const held = taken.get(r.destination);
    if (held) {
      if (held.via !== r.via) diff.conflicts.push({ route: r, protocol: held.protocol ?? 'unknown' });
      continue;
    }
    const mine = owned.find((o) => o.destination === r.destination && o.metric === 0);
    if (!mine || mine.via !== r.via) diff.replace.push(r);
  }
  for (const o of owned) {
    // We only ever install metric 0: any other metric of ours is a leftover.
    const keep = o.metric === 0 && wanted.has(o.destination) && !taken.has(o.destination);
    if (!keep) diff.remove.push({ destination: o.destination, metric: o.metric });
  }
  return diff;
}

export function isEmptyDiff(d: RouteDiff): boolean {
  return d.replace.length === 0 && d.remove.length === 0;
}

// The same routes in a stable order (state file, logs, comparisons).
export function sortRoutes<T extends { destination: string }>(routes: readonly T[]): T[] {
  return [...routes].sort((a, b) => a.destination.localeCompare(b.destination));
}
