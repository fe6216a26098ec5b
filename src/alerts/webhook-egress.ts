// Webhooks must not become a way into the platform's own network (SSRF): the receiver's address,
// as resolved at delivery time and used for the connection itself, must be public unless the
// operator allows private ones (WEBHOOK_ALLOW_PRIVATE). The metadata address and non-unicast
// ranges are refused always.
import { lookup as dnsLookup, LookupAddress } from 'dns';
import { isIP } from 'net';
import { cidrContainsIp, parseCidr } from '../common/cidr';

const ALWAYS_REFUSED = ['0.0.0.0/8', '169.254.169.254/32', '224.0.0.0/4', '240.0.0.0/4'];
const PRIVATE = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '198.18.0.0/15'];
const inAny = (ip: string, cidrs: string[]) => cidrs.some((c) => cidrContainsIp(parseCidr(c)!, ip));

/** Why a receiver address is refused, or null when the platform may connect to it. */
export function egressProblem(address: string, allowPrivate: boolean): string | null {
  let ip = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1];
  if (isIP(ip) === 4) {
    if (inAny(ip, ALWAYS_REFUSED)) return 'a reserved, multicast or metadata address';
    if (!allowPrivate && inAny(ip, PRIVATE)) return 'a private, loopback or link-local address';
    return null;
  }
  if (isIP(ip) === 6) {
    if (ip === '::' || ip.startsWith('ff')) return 'a reserved or multicast address';
    if (!allowPrivate && (ip === '::1' || /^fe[89ab]/.test(ip) || /^f[cd]/.test(ip))) return 'a private, loopback or link-local address';
    return null;
  }
  return 'not an IP address';
}

/** At save time: a URL whose host is a refused IP literal (or localhost) is refused at once. */
export function urlHostProblem(url: string, allowPrivate: boolean): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null; // the URL rule reports it
  }
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) return 'a loopback address';
  return isIP(host) ? egressProblem(host, allowPrivate) : null;
}

export class EgressRefused extends Error {
  readonly code = 'EGRESS_REFUSED';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request: resolves as usual, then refuses the connection when any address is
 * not allowed, so the address checked is the address connected to (no DNS rebinding in between).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const refused = list.map((a) => egressProblem(a.address, allowPrivate)).find((p) => p !== null);
      if (refused || !list.length) return callback(new EgressRefused(`${hostname} resolves to ${refused ?? 'nothing'}`), '');
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
