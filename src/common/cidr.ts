// IPv4 and CIDR maths: pure, no framework. Addresses are handled as unsigned 32-bit numbers.

export interface Cidr {
  network: number; // already masked
  prefix: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipToInt(ip: string): number {
  if (!isIpv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; returns null when it is not a CIDR. Host bits are cleared. */
export function parseCidr(text: string): Cidr | null {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!match || !isIpv4(match[1])) return null;
  const prefix = Number(match[2]);
  if (prefix > 32 || String(prefix) !== match[2]) return null; // no leading zeros: `/08` is not a prefix
  return { network: (ipToInt(match[1]) & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${intToIp(cidr.network)}/${cidr.prefix}`;
}

/** `10.1.2.3/16` -> `10.1.0.0/16`; null when not a CIDR. */
export function normalizeCidr(text: string): string | null {
  const cidr = parseCidr(text);
  return cidr ? formatCidr(cidr) : null;
}

export function hasHostBits(text: string): boolean {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text.trim());
  const cidr = parseCidr(text);
  return !!match && !!cidr && ipToInt(match[1]) !== cidr.network;
}

/** The first host of a network (`10.1.2.0/24` -> `10.1.2.1`): where clouds put the router. */
export function firstHost(text: string): string {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`not a CIDR: ${text}`);
  return intToIp(cidr.network + 1);
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const mask = maskOf(prefix);
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrsOverlap(outer, inner);
}

export function cidrContainsIp(cidr: Cidr, ip: string): boolean {
  return (ipToInt(ip) & maskOf(cidr.prefix)) >>> 0 === cidr.network;
}

/**
 * Why an address cannot be a peer's public IPv4, or null when it can. 0.0.0.0 means "any peer".
 * Private addresses are allowed (VPC to VPC, an IDC behind a private line); link-local (with the
 * metadata address 169.254.169.254) is not: it never leaves the host it is on.
 */
export function peerAddressProblem(ip: string): 'invalid_ipv4' | 'loopback' | 'multicast' | 'broadcast' | 'link_local' | null {
  if (!isIpv4(ip)) return 'invalid_ipv4';
  const n = ipToInt(ip);
  if (n >>> 24 === 127) return 'loopback';
  if (n >>> 28 === 0xe) return 'multicast';
  if (n === 0xffffffff) return 'broadcast';
  if (n >>> 16 === 0xa9fe) return 'link_local';
  return null;
}

// Ranges a remote subnet may not touch: nothing there is reachable through a tunnel.
const NOT_ROUTABLE: [string, 'unspecified' | 'loopback' | 'link_local' | 'multicast' | 'broadcast'][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
];

/**
 * Why a CIDR cannot be a tunnel's remote subnet, or null. 0.0.0.0/0 ("everything through the
 * tunnel") is refused on its own: see docs/decisions.md.
 */
export function remoteCidrProblem(cidr: Cidr): { rule: string; range: string } | null {
  if (cidr.prefix === 0) return { rule: 'not_default_route', range: '0.0.0.0/0' };
  for (const [range, what] of NOT_ROUTABLE) if (cidrsOverlap(cidr, parseCidr(range)!)) return { rule: `not_${what}`, range };
  return null;
}

/** An FQDN as IKE identities use it: labels of letters, digits and hyphens, at least one dot. */
export function isFqdn(text: string): boolean {
  if (text.length > 253 || isIpv4(text)) return false;
  const labels = text.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l)) && /[a-zA-Z]/.test(labels[labels.length - 1]);
}
