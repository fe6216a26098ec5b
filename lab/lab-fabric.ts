// The lab's region: the emulated internet (one router namespace, one bridge) and each VPC's
// fabric (a router namespace with one bridge per subnet) with instances as namespaces.
import { ensureNamespace, removeNamespace, setNamespaceSysctls } from '../src/negotiation/host/gateway-namespace';
import { gatewayMac } from '../src/negotiation/host/gateway-network';
import { ensureBridge, ensureVethPair, replaceRoute, setAddresses, setMacAddress, setMaster } from '../src/negotiation/host/ip-link';
import { LabNames } from './lab-names';
import { hostAddress, INTERNET_ROUTER_CIDRS, LabInventory, prefixLength } from './lab-inventory';
import { LabState, recordNamespace } from './lab-state';

/**
 * A router namespace forwards and, being a lab, does not filter on reverse paths. Nor does it send
 * ICMP redirects: the lab internet's three public /24s share one bridge, so the router would tell a
 * host of one (a bench mirror, any host that does not forward) that an address of another is on
 * its own link. That host then sends straight to the MAC its own neighbour table remembers for the
 * address, which a gateway started since under another MAC never receives: the benchmark's mirror
 * answered the product's first IKE_SA_INITs to the MACs of the bare-strongSwan baseline's gateways
 * for 5-10 s (docs/operations.md). A real internet never hands a remote site a shortcut like that.
 * `all` and each interface are ORed for redirects: `default` covers the bridges made afterwards.
 */
export const ROUTER_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
};

/**
 * A router bridge with an address of its own. Left alone, a Linux bridge takes the lowest MAC of its
 * ports, so a new site's (or gateway's) port can change it: the router's neighbour table is flushed
 * and every host still sending to the old MAC loses packets until it re-resolves the router (live
 * tunnels dropped a ping whenever sites came up). A MAC set once keeps it.
 */
async function ensureRouterBridge(namespace: string, bridge: string): Promise<void> {
  await ensureBridge(namespace, bridge);
  await setMacAddress(namespace, bridge, gatewayMac(namespace, bridge));
}

export async function ensureInternet(names: LabNames, state: LabState): Promise<void> {
  const ns = names.inetNamespace;
  await ensureNamespace(ns);
  recordNamespace(state, ns);
  await ensureRouterBridge(ns, names.inetBridge);
  // The bridge's own key too: it may predate the namespace's default (a lab an older build brought up).
  await setNamespaceSysctls(ns, { ...ROUTER_SYSCTLS, [`net.ipv4.conf.${names.inetBridge}.send_redirects`]: 0 });
  await setAddresses(ns, names.inetBridge, INTERNET_ROUTER_CIDRS);
}

export async function ensureVpcs(names: LabNames, state: LabState, inventory: LabInventory): Promise<void> {
  for (const vpc of inventory.vpcs) {
    const vpcNs = names.vpcNamespace(vpc.id);
    await ensureNamespace(vpcNs);
    recordNamespace(state, vpcNs);
    await setNamespaceSysctls(vpcNs, ROUTER_SYSCTLS);
    for (const subnet of vpc.subnets) {
      const bridge = names.subnetBridge(subnet.id);
      await ensureRouterBridge(vpcNs, bridge);
      // The bridge holds the subnet's .1: the VPC router every instance uses as its gateway.
      await setAddresses(vpcNs, bridge, [`${hostAddress(subnet.cidr, 1)}/${prefixLength(subnet.cidr)}`]);
      for (const instance of subnet.instances) {
        const ns = names.instanceNamespace(instance.name);
        const port = names.instancePort(instance.name);
        await ensureNamespace(ns);
        recordNamespace(state, ns);
        await ensureVethPair({ namespace: ns, name: 'eth0' }, { namespace: vpcNs, name: port }, instance.name);
        await setMaster(vpcNs, port, bridge);
        await setAddresses(ns, 'eth0', [`${instance.privateIp}/${prefixLength(subnet.cidr)}`]);
        await replaceRoute(ns, 'default', hostAddress(subnet.cidr, 1), 'eth0');
      }
    }
  }
}

// Namespaces of an inventory (to drop those of a previous inventory when ids changed).
export function fabricNamespaces(names: LabNames, inventory: LabInventory | null): string[] {
  if (!inventory) return [];
  return inventory.vpcs.flatMap((vpc) => [names.vpcNamespace(vpc.id), ...vpc.subnets.flatMap((s) => s.instances.map((i) => names.instanceNamespace(i.name)))]);
}

export async function removeNamespaces(namespaces: readonly string[]): Promise<void> {
  for (const ns of [...namespaces].reverse()) await removeNamespace(ns, { killProcesses: true });
}
