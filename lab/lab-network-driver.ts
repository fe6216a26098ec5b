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
import { deleteLink, getLink, ipBatch, LinkInfo, ownAddresses, showAll } from '../src/negotiation/host/ip-link';
import { LabNames } from './lab-names';

export interface LabNetworkDriverOptions {
  // The lab's namespace prefix (see lab-names.ts); 'vl' for the demo lab.
  prefix?: string;
  // This host's tag (gateway-names hostTag): in its ports' names, so several hosts share the lab's bridges.
  hostTag?: string;
}

interface RouteInfo {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** One leg of the gateway: its interface in the gateway's namespace, its port on a lab bridge. */
interface Leg {
  iface: string;
  peerNs: string;
  peerLinks: LinkInfo[];
  bridge: string;
  address: string;
  /** The pair is (re)created by this call: its port is new, down and outside the bridge whatever the read said. */
  fresh?: boolean;
}

/** What one read of the three namespaces says, and the writes that make the copy prepared. */
interface Plan {
  port: string;
  legs: Leg[];
  /** Stale halves of pairs to delete first (they may hold the names the pairs are created with). */
  deletes: Map<string, string[]>;
  /** New veth pairs, created from our namespace straight into theirs (one batch). */
  create: string[];
  /** Per namespace (the gateway's, the internet's, the VPC's), the rest, in order. */
  writes: Map<string, string[]>;
}

/**
 * The lab's floating IP: every host's copy of a gateway has its own ports on the internet bridge
 * and the subnet bridge, tagged (ifalias) with the gateway id. `prepare` builds a copy that is
 * not plugged in (its ports down, outside the bridges); taking the gateway over deletes the other
 * hosts' plugged ports tagged with its id (a veth pair goes with either end, so the old copy's
 * eth0/eth1 vanish too) before plugging this host's. `repair` (an owner's later syncs) deletes
 * nothing of another copy and plugs this host's port only on a bridge where no other copy's is.
 *
 * Each call reads the three namespaces once (one `ip -j` process each, at the same time) and writes
 * only what differs, one `ip -batch` per namespace: a new gateway's attach costs 9 processes
 * (3 reads, the pairs, 3 batches, the sysctls, a carrier check) instead of ~30, a converged one 3 reads and no
 * write. The reconciler repairs every gateway on every pass, so the converged case is the common
 * one, and a cold start's provisioning of 50 gateways competes with their first negotiations for
 * the same cores.
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
    await this.apply(await this.plan(p, namespace), namespace);
  }

  /** `prepare`, with the take-over's unplugging and plugging in the same batches. */
  attach(p: GatewayPlacement, namespace: string): Promise<void> {
    return this.prepareAnd(p, namespace, (leg, port) => takeOverCommands(leg, p.gatewayId, port, true));
  }

  /**
   * `prepare`, and this host's port plugged on a bridge where it is not and no other copy's port
   * is (in the bridge, or up): another copy is never deleted, even one this host's owner read
   * says should not be there (that read may be stale: a drain's claimer may just have taken over).
   */
  repair(p: GatewayPlacement, namespace: string): Promise<void> {
    return this.prepareAnd(p, namespace, (leg, port) => (pluggedOthers(leg, p.gatewayId, port).length ? [] : plugCommands(leg, port, true)));
  }

  /** The prepare plan with `extra` commands appended to each bridge namespace's batch. */
  private async prepareAnd(p: GatewayPlacement, namespace: string, extra: (leg: Leg, port: string) => string[]): Promise<void> {
    const plan = await this.plan(p, namespace);
    let plugs = 0;
    for (const leg of plan.legs) {
      const commands = extra(leg, plan.port);
      plugs += commands.filter((c) => c.includes(' master ')).length;
      plan.writes.get(leg.peerNs)!.push(...commands);
    }
    await this.apply(plan, namespace);
    if (plugs) await waitForCarrier(namespace);
  }

  /**
   * Take over: no other copy of this gateway stays plugged in, then this one is plugged: one read
   * and one batch per bridge namespace, both namespaces at once (the outage of a prepared move).
   */
  async takeOver(p: GatewayPlacement, namespace: string): Promise<void> {
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    const sides = [
      { ns: this.names.inetNamespace, bridge: this.names.inetBridge },
      { ns: this.names.vpcNamespace(p.vpcId), bridge: this.names.subnetBridge(p.subnetId) },
    ];
    await Promise.all(
      sides.map(async ({ ns, bridge }) => {
        const [links] = (await showAll(ns, ['link show'])) as [LinkInfo[]];
        const leg = { iface: '', peerNs: ns, peerLinks: links, bridge, address: '' };
        await ipBatch(ns, takeOverCommands(leg, p.gatewayId, port, false));
      }),
    );
    await waitForCarrier(namespace);
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

  /** Reads the three namespaces at once and plans the prepared copy's writes. */
  private async plan(p: GatewayPlacement, namespace: string): Promise<Plan> {
    assertPlacement(p);
    const inetNs = this.names.inetNamespace;
    const vpcNs = this.names.vpcNamespace(p.vpcId);
    const bridge = this.names.subnetBridge(p.subnetId);
    const port = this.names.gatewayPort(p.gatewayId, this.hostTag);
    if (!namespaceExists(namespace)) throw new Error(`gateway namespace ${namespace} does not exist`);
    const [[gwLinks, gwRoutes], [inetLinks], [vpcLinks]] = await Promise.all([
      showAll(namespace, ['addr show', 'route show']) as Promise<[LinkInfo[], RouteInfo[]]>,
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
      {
        iface: GATEWAY_EXTERNAL_IFACE,
        peerNs: inetNs,
        peerLinks: inetLinks,
        bridge: this.names.inetBridge,
        address: `${p.externalIp}/${p.externalPrefixLength}`,
      },
      { iface: GATEWAY_VPC_IFACE, peerNs: vpcNs, peerLinks: vpcLinks, bridge, address: `${p.privateIp}/${subnetPrefixLength(p.subnetCidr)}` },
    ];
    const deletes = new Map<string, string[]>([
      [namespace, []],
      [inetNs, []],
      [vpcNs, []],
    ]);
    const writes = new Map<string, string[]>([
      [namespace, []],
      [inetNs, []],
      [vpcNs, []],
    ]);
    const gw = writes.get(namespace)!;
    const create: string[] = [];
    const lo = gwLinks.find((l) => l.ifname === 'lo');
    if (lo && !lo.flags?.includes('UP')) gw.push('link set dev lo up');
    for (const leg of legs) {
      const out = writes.get(leg.peerNs)!;
      let a = gwLinks.find((l) => l.ifname === leg.iface);
      let b = leg.peerLinks.find((l) => l.ifname === port);
      if (b?.ifalias && b.ifalias !== p.gatewayId) {
        throw new Error(`interface ${port} in ${leg.peerNs} belongs to '${b.ifalias}', not '${p.gatewayId}' (short-name collision)`);
      }
      const paired = a && b && a.link_index === b.ifindex && b.link_index === a.ifindex;
      if (!paired) {
        // Half a pair or two unrelated links: start over (created in place, never in our namespace;
        // the new port is down and outside the bridge until a take-over plugs it).
        if (a) deletes.get(namespace)!.push(`link del dev ${leg.iface}`);
        if (b) deletes.get(leg.peerNs)!.push(`link del dev ${port}`);
        create.push(`link add ${leg.iface} netns ${namespace} type veth peer name ${port} netns ${leg.peerNs}`);
        leg.fresh = true;
        a = undefined;
        b = undefined;
      }
      const mac = gatewayMac(p.gatewayId, leg.iface);
      if (a?.address?.toLowerCase() !== mac) gw.push(`link set dev ${leg.iface} address ${mac}`);
      if (!a?.flags?.includes('UP')) gw.push(`link set dev ${leg.iface} up`);
      const present = a ? ownAddresses(a) : [];
      for (const cidr of present) if (cidr !== leg.address) gw.push(`addr del ${cidr} dev ${leg.iface}`);
      if (!present.includes(leg.address)) gw.push(`addr add ${leg.address} dev ${leg.iface}`);
      if (b?.ifalias !== p.gatewayId) out.push(`link set dev ${port} alias ${p.gatewayId}`);
    }
    // The default route out of the external leg; the rest of the VPC behind its router (the
    // gateway's own subnet stays on-link). Routes over a leg whose far end is down are accepted
    // ("linkdown") and work once it is up. Replaced only when different: a route change makes charon roam.
    const routes: [string, string, string][] = [
      ['default', p.externalRouterIp, GATEWAY_EXTERNAL_IFACE],
      [p.vpcCidr, p.subnetRouterIp, GATEWAY_VPC_IFACE],
    ];
    for (const [dst, via, dev] of routes) {
      if (!gwRoutes.some((r) => r.dst === dst && r.gateway === via && r.dev === dev)) gw.push(`route replace ${dst} via ${via} dev ${dev}`);
    }
    return { port, legs, deletes, create, writes };
  }

  /** Stale halves first, then the new pairs (and the namespace's sysctls), then every namespace's batch at once. */
  private async apply(plan: Plan, namespace: string): Promise<void> {
    await Promise.all([...plan.deletes].map(([ns, commands]) => ipBatch(ns, commands)));
    const writes = [...plan.writes].map(
      ([ns, commands]) =>
        () =>
          ipBatch(ns, commands),
    );
    if (plan.create.length) {
      await ipBatch(null, plan.create);
      // Forwarding and loose reverse-path filtering, for the legs just made too (a namespace's
      // legs are only ever created here, so a converged gateway skips this process).
      writes.push(() => setNamespaceSysctls(namespace, gatewaySysctls([GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE])));
    }
    await Promise.all(writes.map((w) => w()));
  }
}

/**
 * A take-over's commands in one bridge namespace: delete every port tagged with this gateway's id
 * but another name that is plugged in (in a bridge, or up): another host's live copy. A copy being
 * prepared for a drain (its ports down, outside the bridges) answers for nothing and is left alone:
 * the owner's every attach would otherwise delete it. Then plug this host's port (master and up in
 * one command), unless `lazy` and it already is.
 */
function takeOverCommands(leg: Leg, gatewayId: string, port: string, lazy: boolean): string[] {
  return [...pluggedOthers(leg, gatewayId, port).map((l) => `link del dev ${l.ifname}`), ...plugCommands(leg, port, lazy)];
}

/** The ports of other copies of this gateway on the leg's bridge namespace that are plugged in (in a bridge, or up). */
function pluggedOthers(leg: Leg, gatewayId: string, port: string): LinkInfo[] {
  return leg.peerLinks.filter((l) => l.ifalias === gatewayId && l.ifname !== port && (l.master || l.flags?.includes('UP')));
}

/**
 * Plugs this host's port (master and up in one command). `lazy` (attach, repair): skipped when the
 * read shows it plugged already; a port this call (re)creates is new whatever the read said, and is plugged.
 */
function plugCommands(leg: Leg, port: string, lazy: boolean): string[] {
  const own = leg.fresh ? undefined : leg.peerLinks.find((l) => l.ifname === port);
  return !lazy || !own || own.master !== leg.bridge || !own.flags?.includes('UP') ? [`link set dev ${port} master ${leg.bridge} up`] : [];
}

/**
 * Until both legs of the gateway report carrier (operstate UP), at most `timeoutMs`. `ip` returns
 * before the kernel has processed the carrier change (its link-watch work activates the leg's
 * queue): a packet sent meanwhile is dropped, and a gateway's first ARP or IKE_SA_INIT right after
 * a batched plug-in then waits for a retransmission (e2e gateway-host's first ping failed 1 run in 30).
 */
async function waitForCarrier(namespace: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [links] = (await showAll(namespace, ['link show'])) as [LinkInfo[]];
    const legs = links.filter((l) => l.ifname === GATEWAY_EXTERNAL_IFACE || l.ifname === GATEWAY_VPC_IFACE);
    if (legs.length === 2 && legs.every((l) => l.operstate === 'UP')) return;
    if (Date.now() > deadline) return; // reported by what fails next, not here: the legs are plugged
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Only delete a port tagged with this gateway's id: never another gateway's colliding short name.
async function deleteOwnedPort(namespace: string, name: string, owner: string): Promise<void> {
  const link = await getLink(namespace, name);
  if (link && (!link.ifalias || link.ifalias === owner)) await deleteLink(namespace, name);
}
