// The LAB network driver: wires a gateway's namespace into the lab's emulated internet and VPC
// bridges, found from a GatewayPlacement alone through the lab's names (lab-names.ts). Registered
// as NETWORK_DRIVER=lab by the lab's worker (lab-worker.ts); production hosts use the VXLAN driver.
import { namespaceExists, setNamespaceSysctls } from '../src/negotiation/host/gateway-namespace';
import {
  assertPlacement,
  GatewayNetworkDriver,
  gatewayMac,
  GatewayPlacement,
  gatewaySysctls,
  subnetPrefixLength,
} from '../src/negotiation/host/gateway-network';
import { GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE } from '../src/negotiation/host/gateway-names';
import {
  deleteLink,
  ensureVethPair,
  getLink,
  linksWithAlias,
  plugIntoBridge,
  replaceRoute,
  setAddresses,
  setMacAddress,
} from '../src/negotiation/host/ip-link';
import { LabNames } from './lab-names';

export interface LabNetworkDriverOptions {
  // The lab's namespace prefix (see lab-names.ts); 'vl' for the demo lab.
  prefix?: string;
  // This host's tag (gateway-names hostTag): in its ports' names, so several hosts share the lab's bridges.
  hostTag?: string;
}

/**
 * The lab's floating IP: every host's copy of a gateway has its own ports on the internet bridge
 * and the subnet bridge, tagged (ifalias) with the gateway id. `prepare` builds a copy that is
 * not plugged in (its ports down, outside the bridges); taking the gateway over (`attach`) deletes
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
   * Builds this host's copy's legs without plugging them in: the ports on the internet and subnet
   * bridges' side are created down and outside the bridges (a copy that was plugged stays so).
   */
  async prepare(p: GatewayPlacement, namespace: string): Promise<void> {
    assertPlacement(p);
    const inetNs = this.names.inetNamespace;
    const vpcNs = this.names.vpcNamespace(p.vpcId);
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    if (!namespaceExists(namespace)) throw new Error(`gateway namespace ${namespace} does not exist`);
    if (!(await getLink(inetNs, this.names.inetBridge))) {
      throw new Error(`lab internet segment missing (namespace ${inetNs}, bridge ${this.names.inetBridge}): run 'lab up'`);
    }
    if (!(await getLink(vpcNs, this.names.subnetBridge(p.subnetId)))) {
      throw new Error(
        `lab subnet bridge ${this.names.subnetBridge(p.subnetId)} for ${p.subnetId} missing in namespace ${vpcNs}: run 'lab up' with this inventory`,
      );
    }

    // External leg, facing the internet bridge.
    await ensureVethPair({ namespace, name: GATEWAY_EXTERNAL_IFACE }, { namespace: inetNs, name: port }, p.gatewayId, { bUp: false });
    await setMacAddress(namespace, GATEWAY_EXTERNAL_IFACE, gatewayMac(p.gatewayId, GATEWAY_EXTERNAL_IFACE));
    await setAddresses(namespace, GATEWAY_EXTERNAL_IFACE, [`${p.externalIp}/${p.externalPrefixLength}`]);

    // VPC leg, facing the subnet's bridge.
    await ensureVethPair({ namespace, name: GATEWAY_VPC_IFACE }, { namespace: vpcNs, name: port }, p.gatewayId, { bUp: false });
    await setMacAddress(namespace, GATEWAY_VPC_IFACE, gatewayMac(p.gatewayId, GATEWAY_VPC_IFACE));
    await setAddresses(namespace, GATEWAY_VPC_IFACE, [`${p.privateIp}/${subnetPrefixLength(p.subnetCidr)}`]);

    await setNamespaceSysctls(namespace, gatewaySysctls([GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE]));
    // Routes over a leg whose far end is down are accepted ("linkdown") and work once it is up.
    await replaceRoute(namespace, 'default', p.externalRouterIp, GATEWAY_EXTERNAL_IFACE);
    // The rest of the VPC is behind its router; the gateway's own subnet stays on-link.
    await replaceRoute(namespace, p.vpcCidr, p.subnetRouterIp, GATEWAY_VPC_IFACE);
  }

  async attach(p: GatewayPlacement, namespace: string): Promise<void> {
    await this.prepare(p, namespace);
    await this.takeOver(p);
  }

  async takeOver(p: GatewayPlacement): Promise<void> {
    const inetNs = this.names.inetNamespace;
    const vpcNs = this.names.vpcNamespace(p.vpcId);
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    // Take over: no other copy of this gateway stays plugged in, then this one is plugged (the
    // outage of a prepared move is these six commands).
    await deleteOtherPorts(inetNs, p.gatewayId, port);
    await deleteOtherPorts(vpcNs, p.gatewayId, port);
    await plugIntoBridge(inetNs, port, this.names.inetBridge);
    await plugIntoBridge(vpcNs, port, this.names.subnetBridge(p.subnetId));
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

// Every port tagged with this gateway's id but another name that is plugged in (in a bridge, or up):
// another host's live copy. A copy being prepared for a drain (its ports down, outside the bridges)
// answers for nothing and is left alone: the owner's every attach would otherwise delete it.
async function deleteOtherPorts(namespace: string, gatewayId: string, keep: string): Promise<void> {
  for (const link of await linksWithAlias(namespace, gatewayId)) {
    if (link.ifname !== keep && (link.master || link.flags?.includes('UP'))) await deleteLink(namespace, link.ifname);
  }
}

// Only delete a port tagged with this gateway's id: never another gateway's colliding short name.
async function deleteOwnedPort(namespace: string, name: string, owner: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (link && (!link.ifalias || link.ifalias === owner)) await deleteLink(namespace, name);
}
