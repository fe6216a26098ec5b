import { peerAddressProblem } from '../../common/cidr';
import { Violation, violation } from '../../common/violations';

const EXPLAIN = {
  invalid_ipv4: 'must be an IPv4 address such as 203.0.113.7 (or 0.0.0.0 for any address)',
  loopback: 'is a loopback address: give the public address of the remote VPN device',
  multicast: 'is a multicast address: give the public unicast address of the remote VPN device',
  broadcast: 'is the broadcast address: give the public address of the remote VPN device',
  link_local: 'is a link-local address (169.254.0.0/16, the metadata service among them): give the address of the remote VPN device',
} as const;

/** A peer is a public IPv4 of the remote device, or 0.0.0.0 for "any address" (remote behind NAT). */
export function checkPeerIp(ip: unknown, field = 'ipAddress'): Violation[] {
  const problem = typeof ip === 'string' ? peerAddressProblem(ip) : 'invalid_ipv4';
  return problem ? [violation(field, problem === 'invalid_ipv4' ? 'ipv4' : `not_${problem}`, ip, `${field} ${EXPLAIN[problem]}`)] : [];
}
