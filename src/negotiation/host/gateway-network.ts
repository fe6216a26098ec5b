// Where a gateway sits on the network, and the driver interface that plugs its namespace in:
// vxlan-network-driver.ts (a host's public bridge and the VPC's VXLAN segments) and the lab's
// lab/lab-network-driver.ts (its emulated internet and VPC bridges), chosen in network-drivers.ts.
import { createHash } from 'crypto';

export interface GatewayPlacement {
  gatewayId: string; // e.g. 'vpngw-ab12cd34' (also the namespace name)
  externalIp: string; // e.g. '198.51.100.10'
  externalPrefixLength: number; // e.g. 24
  externalRouterIp: string; // upstream router on the internet segment, e.g. '198.51.100.1'
  vpcId: string;
  vpcCidr: string; // 'vpc-xxxxxxxx', '10.1.0.0/16'
  subnetId: string;
  subnetCidr: string; // 'subnet-xxxxxxxx', '10.1.1.0/24'
  subnetRouterIp: string; // the VPC router's address in that subnet, e.g. '10.1.1.1'
  privateIp: string; // the gateway's own address in its subnet, e.g. '10.1.1.250'
}

/**
 * How a gateway's namespace is plugged into the internet (its external IP) and its VPC subnet (its
 * private IP and MAC). Several hosts may hold a copy of one gateway (a failover, a drain, a host
 * that came back): only the current owner's copy may be reachable, so `attach` takes the
 * gateway's addresses over from wherever else they are attached (a floating-IP move), and
 * `release` lets them go without the control plane (a host fencing itself).
 *
 * A copy is "plugged" when it can answer for the gateway's addresses. The lab driver sees every
 * host's copy (they share the lab's bridges): a port tagged with the gateway id that is in its
 * bridge or up. The VXLAN driver sees only this host's copy (its legs' host ends in their bridges);
 * another host's copy is on another machine, unplugged by that host itself (its lease tick or its
 * fence), and the address follows the last gratuitous ARP.
 *
 * The supervisor takes over (`attach`, or `takeOver` for a drain's prepared copy) only on a host's
 * first sync of a gateway at its current epoch; its later syncs `repair`: the owner they read may
 * be stale by the time they reach the driver (a drain's claimer may just have taken the gateway
 * over), so they must never unplug another copy nor announce this one.
 */
export interface GatewayNetworkDriver {
  /**
   * Builds this host's copy of the gateway's network without making it reachable: the namespace's
   * legs, addresses, routes and sysctls, with nothing plugged in where the gateway's addresses
   * live (a planned move prepares the new copy while the old one still serves). Never touches
   * another host's copy, never unplugs this one; safe to repeat. `attach` then takes over.
   */
  prepare(placement: GatewayPlacement, namespace: string): Promise<void>;
  /**
   * Converges the namespace's links, addresses, routes and sysctls and takes the gateway's
   * external IP (and VPC address) over: any other host's attachment of them is removed before
   * this one is plugged (after doing what `prepare` does, if not done yet). Called only by the
   * gateway's current owner, on its first sync at the gateway's epoch (later syncs `repair`);
   * safe to repeat.
   */
  attach(placement: GatewayPlacement, namespace: string): Promise<void>;
  /**
   * A later sync's converge, by a host that already serves the gateway at this epoch: what
   * `prepare` does, then plugs this host's copy in only if it is not and no other copy is plugged
   * (its own was lost: a deleted port, a recreated namespace). Never unplugs another copy, never
   * announces the address (no gratuitous ARP). The VXLAN driver cannot see other hosts' copies:
   * it re-plugs this host's legs when they are unplugged, which a drain's take-over (on the
   * claimer's machine) never causes here. Safe to repeat; a converged copy costs no write.
   */
  repair(placement: GatewayPlacement, namespace: string): Promise<void>;
  /**
   * The last step of `attach`, for a copy `prepare` just built (a drain's move, right after the
   * claim): unplugs every other copy and plugs this one, nothing else, so the move's outage is
   * these few commands. `attach` is `prepare` then this.
   */
  takeOver(placement: GatewayPlacement, namespace: string): Promise<void>;
  /** Removes what attach made outside the namespace too; succeeds when nothing is there. */
  detach(placement: GatewayPlacement, namespace: string): Promise<void>;
  /**
   * Fencing: unplugs THIS host's attachment of the gateway's external IP and VPC address at once
   * (the namespace and its charon may stay), so a host that lost its lease stops answering for
   * the address. Must work with PostgreSQL and Redis unreachable; succeeds when nothing is there.
   */
  release(placement: GatewayPlacement, namespace: string): Promise<void>;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function assertPlacement(p: GatewayPlacement): void {
  const bad: string[] = [];
  if (!/^vpngw-[A-Za-z0-9_-]+$/.test(p.gatewayId)) bad.push(`gatewayId '${p.gatewayId}' (expected vpngw-…)`);
  for (const k of ['externalIp', 'externalRouterIp', 'subnetRouterIp', 'privateIp'] as const) {
    if (!IPV4.test(p[k])) bad.push(`${k} '${p[k]}'`);
  }
  if (!Number.isInteger(p.externalPrefixLength) || p.externalPrefixLength < 1 || p.externalPrefixLength > 32) {
    bad.push(`externalPrefixLength ${p.externalPrefixLength}`);
  }
  for (const k of ['vpcCidr', 'subnetCidr'] as const) {
    const [ip, len] = p[k].split('/');
    if (!IPV4.test(ip ?? '') || !/^\d+$/.test(len ?? '') || Number(len) > 32) bad.push(`${k} '${p[k]}'`);
  }
  if (bad.length) throw new Error(`invalid gateway placement: ${bad.join(', ')}`);
}

export function subnetPrefixLength(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/**
 * A gateway leg's MAC address, derived from the gateway id (locally administered, unicast): the
 * same on every (re)provisioning, so neighbours' ARP caches stay right when the namespace is
 * recreated (a renewed expired gateway, a vanished namespace). With a random MAC, an instance
 * kept sending to the old one and the gateway never learnt of it: no traffic until its ARP entry
 * aged out.
 */
export function gatewayMac(gatewayId: string, iface: string): string {
  const h = createHash('sha256').update(`${gatewayId}/${iface}`).digest();
  const bytes = [(h[0] & 0xfc) | 0x02, h[1], h[2], h[3], h[4], h[5]];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

// Sysctls of a gateway namespace: decrypted traffic is routed between the TUN device and the VPC
// leg, and it arrives on an interface (TUN) other than the one its source routes through, so
// strict reverse-path filtering would drop it.
export function gatewaySysctls(interfaces: readonly string[]): Record<string, number> {
  const values: Record<string, number> = {
    'net.ipv4.ip_forward': 1,
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
  };
  for (const i of interfaces) values[`net.ipv4.conf.${i}.rp_filter`] = 0;
  return values;
}
