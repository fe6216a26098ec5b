// The LAB network driver: wires a gateway's namespace into the lab's emulated internet and VPC
// bridges (lab/), found from a GatewayPlacement alone through the lab's names. Chosen by
// NETWORK_DRIVER=lab (network-driver-factory.ts); production hosts use the VXLAN driver.
import { namespaceExists, setNamespaceSysctls } from './gateway-namespace';
import { assertPlacement, GatewayNetworkDriver, gatewayMac, GatewayPlacement, gatewaySysctls, subnetPrefixLength } from './gateway-network';
import { GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE } from './gateway-names';
import { deleteLink, getLink, ipBatch, LinkInfo, ownAddresses, showAll } from './ip-link';
import { LabNames } from './lab-names';

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

  /**
   * Reads the three namespaces once (one `ip -j` process each, at the same time), then writes only
   * what differs, one `ip -batch` per namespace: a fresh gateway costs 8 processes instead of ~30
   * (one per link, address, MAC, master and route), a converged one 3 reads and no write. The
   * reconciler attaches every gateway on every pass, so the converged case is the common one.
   */
  async attach(p: GatewayPlacement, namespace: string): Promise<void> {
    assertPlacement(p);
    const inetNs = this.names.inetNamespace;
    const vpcNs = this.names.vpcNamespace(p.vpcId);
    const bridge = this.names.subnetBridge(p.subnetId);
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    if (!namespaceExists(namespace)) throw new Error(`gateway namespace ${namespace} does not exist`);
    const [[gwLinks, gwRoutes], [inetLinks], [vpcLinks]] = await Promise.all([
      showAll(namespace, ['addr show', 'route show']) as Promise<[LinkInfo[], { dst: string; gateway?: string; dev?: string }[]]>,
      showAll(inetNs, ['link show']).catch(() => [[]]) as Promise<[LinkInfo[]]>,
      showAll(vpcNs, ['link show']).catch(() => [[]]) as Promise<[LinkInfo[]]>,
    ]);
    if (!inetLinks.some((l) => l.ifname === this.names.inetBridge)) {
      throw new Error(`lab internet segment missing (namespace ${inetNs}, bridge ${this.names.inetBridge}): run 'lab up'`);
    }
    if (!vpcLinks.some((l) => l.ifname === bridge)) {
      throw new Error(`lab subnet bridge ${bridge} for ${p.subnetId} missing in namespace ${vpcNs}: run 'lab up' with this inventory`);
    }
    const legs: Leg[] = [
      { iface: GATEWAY_EXTERNAL_IFACE, peerNs: inetNs, peerLinks: inetLinks, bridge: this.names.inetBridge, address: `${p.externalIp}/${p.externalPrefixLength}` },
      { iface: GATEWAY_VPC_IFACE, peerNs: vpcNs, peerLinks: vpcLinks, bridge, address: `${p.privateIp}/${subnetPrefixLength(p.subnetCidr)}` },
    ];
    const gwCommands: string[] = [];
    const peerCommands = new Map<string, string[]>([[inetNs, []], [vpcNs, []]]);
    const create: string[] = [];
    const lo = gwLinks.find((l) => l.ifname === 'lo');
    if (lo && !lo.flags?.includes('UP')) gwCommands.push('link set dev lo up');
    for (const leg of legs) {
      const out = peerCommands.get(leg.peerNs)!;
      // Take over: no other copy of this gateway stays plugged in (a veth pair goes with either end).
      for (const other of leg.peerLinks) if (other.ifalias === p.gatewayId && other.ifname !== port) out.push(`link del dev ${other.ifname}`);
      let a = gwLinks.find((l) => l.ifname === leg.iface);
      let b = leg.peerLinks.find((l) => l.ifname === port);
      if (b?.ifalias && b.ifalias !== p.gatewayId) {
        throw new Error(`interface ${port} in ${leg.peerNs} belongs to '${b.ifalias}', not '${p.gatewayId}' (short-name collision)`);
      }
      const paired = a && b && a.link_index === b.ifindex && b.link_index === a.ifindex;
      if (!paired) {
        // Half a pair or two unrelated links: start over (created in place, never in our namespace).
        if (a) gwCommands.unshift(`link del dev ${leg.iface}`);
        if (b) out.unshift(`link del dev ${port}`);
        create.push(`link add ${leg.iface} netns ${namespace} type veth peer name ${port} netns ${leg.peerNs}`);
        a = undefined;
        b = undefined;
      }
      const mac = gatewayMac(p.gatewayId, leg.iface);
      if (a?.address?.toLowerCase() !== mac) gwCommands.push(`link set dev ${leg.iface} address ${mac}`);
      if (!a?.flags?.includes('UP')) gwCommands.push(`link set dev ${leg.iface} up`);
      const present = a ? ownAddresses(a) : [];
      for (const cidr of present) if (cidr !== leg.address) gwCommands.push(`addr del ${cidr} dev ${leg.iface}`);
      if (!present.includes(leg.address)) gwCommands.push(`addr add ${leg.address} dev ${leg.iface}`);
      if (b?.ifalias !== p.gatewayId) out.push(`link set dev ${port} alias ${p.gatewayId}`);
      if (b?.master !== leg.bridge) out.push(`link set dev ${port} master ${leg.bridge}`);
      if (!b?.flags?.includes('UP')) out.push(`link set dev ${port} up`);
    }
    // The default route out of the external leg; the rest of the VPC behind its router (the
    // gateway's own subnet stays on-link). Replaced only when different: a route change makes charon roam.
    const routes: [string, string, string][] = [['default', p.externalRouterIp, GATEWAY_EXTERNAL_IFACE], [p.vpcCidr, p.subnetRouterIp, GATEWAY_VPC_IFACE]];
    for (const [dst, via, dev] of routes) {
      if (!gwRoutes.some((r) => r.dst === dst && r.gateway === via && r.dev === dev)) gwCommands.push(`route replace ${dst} via ${via} dev ${dev}`);
    }

    // Teardown of stale ports first (they may hold the names we create), then the new pairs.
    for (const [ns, commands] of peerCommands) {
      const deletes = commands.filter((c) => c.startsWith('link del'));
      await ipBatch(ns, deletes);
      peerCommands.set(ns, commands.filter((c) => !c.startsWith('link del')));
    }
    const gwDeletes = gwCommands.filter((c) => c.startsWith('link del'));
    await ipBatch(namespace, gwDeletes);
    if (create.length) {
      // Forwarding and loose reverse-path filtering before the legs exist: new interfaces take the
      // namespace's defaults (gatewaySysctls), so one call serves the links made below.
      await setNamespaceSysctls(namespace, gatewaySysctls([]));
      await ipBatch(null, create);
    }
    await Promise.all([
      ipBatch(namespace, gwCommands.filter((c) => !c.startsWith('link del'))),
      ...[...peerCommands].map(([ns, commands]) => ipBatch(ns, commands)),
    ]);
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

interface Leg {
  iface: string;
  peerNs: string;
  peerLinks: LinkInfo[];
  bridge: string;
  address: string;
}

// Only delete a port tagged with this gateway's id: never another gateway's colliding short name.
async function deleteOwnedPort(namespace: string, name: string, owner: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (link && (!link.ifalias || link.ifalias === owner)) await deleteLink(namespace, name);
}
