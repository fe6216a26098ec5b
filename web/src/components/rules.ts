// Form rules mirroring the API's (src/vpn/**/*-rules.ts and the DTOs): the API stays the judge
// and its violations are shown on the fields when it refuses.
import type { Rule } from 'antd/es/form';

type T = (k: string, o?: Record<string, unknown>) => string;

export const nameRules = (t: T): Rule[] => [
  { required: true, whitespace: true, message: t('validation.nameRule') },
  { max: 64, message: t('validation.nameRule') },
  { pattern: /^[^\x00-\x1f]*$/, message: t('validation.nameRule') },
];

export const remarkRules = (t: T): Rule[] => [
  { max: 256, message: t('validation.remarkRule') },
  { pattern: /^[^\x00-\x09\x0b-\x1f]*$/, message: t('validation.remarkRule') },
];

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

export function ipToInt(s: string): number {
  return s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** A peer address: public IPv4 or 0.0.0.0 (any); loopback, multicast and broadcast are refused. */
export function peerIpProblem(s: string): null | 'ipv4' | 'loopback' | 'multicast' | 'broadcast' {
  if (!isIpv4(s)) return 'ipv4';
  const first = Number(s.split('.')[0]);
  if (first === 127) return 'loopback';
  if (first >= 224 && first <= 239) return 'multicast';
  if (s === '255.255.255.255') return 'broadcast';
  return null;
}

export interface Cidr {
  network: number;
  prefix: number;
}

export function parseCidr(s: string): Cidr | null {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(s.trim());
  if (!m || !isIpv4(m[1])) return null;
  const prefix = Number(m[2]);
  if (prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipToInt(m[1]) & mask) >>> 0, prefix };
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.network & mask) >>> 0) === ((b.network & mask) >>> 0);
}

/** PSK: printable ASCII without space and `?`, 1-128 characters (src/vpn/tunnels/tunnel-rules.ts). */
export const PSK_CHARSET = /^[\x21-\x3e\x40-\x7e]+$/;
export const PSK_MAX = 128;

const PSK_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-=@^_~';

/** A strong key from the browser's CSPRNG: 32 characters of letters, digits and a few symbols. */
export function generatePsk(length = 32): string {
  const bytes = new Uint32Array(length);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += PSK_ALPHABET[b % PSK_ALPHABET.length];
  return out;
}

/** Remote CIDRs typed one per line: the problems, per line, in the API's words. */
export function remoteCidrProblems(lines: string[], localCidrs: string[], vpcCidr: string | undefined, t: T): string[] {
  const problems: string[] = [];
  if (lines.length < 1 || lines.length > 20) problems.push(t('validation.remoteCount'));
  const seen: Cidr[] = [];
  const locals = localCidrs.map(parseCidr).filter((c): c is Cidr => !!c);
  const vpc = vpcCidr ? parseCidr(vpcCidr) : null;
  for (const line of lines) {
    const c = parseCidr(line);
    if (!c) {
      problems.push(t('validation.cidr', { value: line }));
      continue;
    }
    if (seen.some((s) => cidrsOverlap(s, c))) problems.push(t('validation.remoteOverlap', { value: line }));
    else if (locals.some((l) => cidrsOverlap(l, c))) problems.push(t('validation.localOverlap', { value: line }));
    else if (vpc && cidrsOverlap(vpc, c)) problems.push(t('validation.vpcOverlap', { value: line, vpc: vpcCidr }));
    seen.push(c);
  }
  return problems;
}

export function splitLines(s: string | undefined): string[] {
  return (s ?? '')
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}
