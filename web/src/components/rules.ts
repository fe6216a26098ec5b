// Form rules mirroring the API's (src/vpn/**/*-rules.ts and the DTOs): the API stays the judge
// and its violations are shown on the fields when it refuses. The IPv4/CIDR maths is the server's
// own module (../shared.ts); only the messages are the console's.
import type { Rule } from 'antd/es/form';
import { cidrsOverlap, normalizeCidr, parseCidr, remoteCidrProblem, type Cidr } from '../shared';

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

/** Remote CIDRs typed one per line: the problems, per line, in the API's words (src/vpn/tunnels/tunnel-rules.ts checkTunnelSubnets). */
export function remoteCidrProblems(lines: string[], localCidrs: string[], vpcCidr: string | undefined, t: T): string[] {
  const problems: string[] = [];
  if (lines.length < 1 || lines.length > 20) problems.push(t('validation.remoteCount'));
  const seen: Cidr[] = [];
  const locals = localCidrs.map(parseCidr).filter((c): c is Cidr => !!c);
  const vpc = vpcCidr ? parseCidr(vpcCidr) : null;
  for (const line of lines) {
    const normal = normalizeCidr(line);
    const c = normal ? parseCidr(normal) : null;
    if (!c) {
      problems.push(t('validation.cidr', { value: line }));
      continue;
    }
    const unroutable = remoteCidrProblem(c);
    if (unroutable)
      problems.push(
        unroutable.rule === 'not_default_route'
          ? t('validation.defaultRoute', { value: line })
          : t('validation.unroutable', { value: line, range: unroutable.range }),
      );
    else if (seen.some((s) => cidrsOverlap(s, c))) problems.push(t('validation.remoteOverlap', { value: line }));
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
