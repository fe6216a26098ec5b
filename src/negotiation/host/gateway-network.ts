// Where a gateway sits on the network, and the driver that plugs its namespace in. The LAB driver
// wires the namespace into the lab's emulated internet and VPC bridges (lab/); a production
// driver would attach to the host's real uplink and VPC overlay instead.
import { createHash } from 'crypto';
import { setNamespaceSysctls, namespaceExists } from './gateway-namespace';
import { deleteLink, ensureVethPair, getLink, linksWithAlias, replaceRoute, setAddresses, setMacAddress, setMaster } from './ip-link';
import { GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE, LabNames } from './lab-names';

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
 */
export interface GatewayNetworkDriver {
  /**
   * Converges the namespace's links, addresses, routes and sysctls and takes the gateway's
   * external IP (and VPC address) over: any other host's attachment of them is removed before
   * this one is plugged. Called only by the gateway's current owner; safe to repeat.
   */
  attach(placement: GatewayPlacement, namespace: string): Promise<void>;
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

export interface LabNetworkDriverOptions {
  // The lab's namespace prefix (see lab-names.ts); 'vl' for the demo lab.
  prefix?: string;
  // This host's tag (lab-names hostTag): in its ports' names, so several hosts share the lab's bridges.
  hostTag?: string;
}

/**
 * The lab's floating IP: every host's copy of a gateway has its own ports on the internet bridge
 * and the subnet bridge, tagged (ifalias) with the gateway id. Taking the gateway over deletes
 * the other hosts' ports tagged with its id (a veth pair goes with either end, so the old copy's
 * eth0/eth1 vanish too) before plugging this host's.
 */
export class LabNetworkDriver implements GatewayNetworkDriver {
  private readonly names: LabNames;
  private readonly hostTag: string | undefined;

  constructor(options: LabNetworkDriverOptions = {}) {
    this.names = new LabNames(options.prefix);
    this.hostTag = options.hostTag;
  }

  async attach(p: GatewayPlacement, namespace: string): Promise<void> {
    assertPlacement(p);
    const inetNs = this.names.inetNamespace;
    const vpcNs = this.names.vpcNamespace(p.vpcId);
    const bridge = this.names.subnetBridge(p.subnetId);
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    if (!namespaceExists(namespace)) throw new Error(`gateway namespace ${namespace} does not exist`);
    if (!(await getLink(inetNs, this.names.inetBridge))) {
      throw new Error(`lab internet segment missing (namespace ${inetNs}, bridge ${this.names.inetBridge}): run 'lab up'`);
    }
    if (!(await getLink(vpcNs, bridge))) {
      throw new Error(`lab subnet bridge ${bridge} for ${p.subnetId} missing in namespace ${vpcNs}: run 'lab up' with this inventory`);
    }

    // Take over: no other copy of this gateway stays plugged in.
    await deleteOtherPorts(inetNs, p.gatewayId, port);
    await deleteOtherPorts(vpcNs, p.gatewayId, port);

    // External leg on the internet bridge.
    await ensureVethPair({ namespace, name: GATEWAY_EXTERNAL_IFACE }, { namespace: inetNs, name: port }, p.gatewayId);
    await setMacAddress(namespace, GATEWAY_EXTERNAL_IFACE, gatewayMac(p.gatewayId, GATEWAY_EXTERNAL_IFACE));
    await setMaster(inetNs, port, this.names.inetBridge);
    await setAddresses(namespace, GATEWAY_EXTERNAL_IFACE, [`${p.externalIp}/${p.externalPrefixLength}`]);

    // VPC leg on the subnet's bridge.
    await ensureVethPair({ namespace, name: GATEWAY_VPC_IFACE }, { namespace: vpcNs, name: port }, p.gatewayId);
    await setMacAddress(namespace, GATEWAY_VPC_IFACE, gatewayMac(p.gatewayId, GATEWAY_VPC_IFACE));
    await setMaster(vpcNs, port, bridge);
    await setAddresses(namespace, GATEWAY_VPC_IFACE, [`${p.privateIp}/${subnetPrefixLength(p.subnetCidr)}`]);

    await setNamespaceSysctls(namespace, gatewaySysctls([GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE]));
    await replaceRoute(namespace, 'default', p.externalRouterIp, GATEWAY_EXTERNAL_IFACE);
    // The rest of the VPC is behind its router; the gateway's own subnet stays on-link.
    await replaceRoute(namespace, p.vpcCidr, p.subnetRouterIp, GATEWAY_VPC_IFACE);
  }

  async detach(p: GatewayPlacement, namespace: string): Promise<void> {
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    // Deleting either end removes the pair; delete both sides in case the namespace is gone
    // (namespace teardown is asynchronous, a dying namespace's veth can linger briefly).
    if (namespaceExists(namespace)) {
      await deleteLink(namespace, GATEWAY_EXTERNAL_IFACE);
      await deleteLink(namespace, GATEWAY_VPC_IFACE);
    }
    await deleteOwnedPort(this.names.inetNamespace, port, p.gatewayId);
    await deleteOwnedPort(this.names.vpcNamespace(p.vpcId), port, p.gatewayId);
  }

  async release(p: GatewayPlacement): Promise<void> {
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    await deleteOwnedPort(this.names.inetNamespace, port, p.gatewayId);
    await deleteOwnedPort(this.names.vpcNamespace(p.vpcId), port, p.gatewayId);
  }
}

// Every port tagged with this gateway's id but another name: another host's copy.
async function deleteOtherPorts(namespace: string, gatewayId: string, keep: string): Promise<void> {
  for (const link of await linksWithAlias(namespace, gatewayId)) {
    if (link.ifname !== keep) await deleteLink(namespace, link.ifname);
  }
}

// Only delete a port tagged with this gateway's id: never another gateway's colliding short name.
async function deleteOwnedPort(namespace: string, name: string, owner: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (link && (!link.ifalias || link.ifalias === owner)) await deleteLink(namespace, name);
}
