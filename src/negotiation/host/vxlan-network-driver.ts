// The production network driver: gateways on a VXLAN VPC fabric (the reference design's Linux
// bridges + VXLAN VTEPs). On a gateway host, each VPC subnet with gateways here is one segment:
//   vxlan<VNI> (the VTEP, over the underlay interface) enslaved to bridge vxbr<VNI>;
// a gateway's VPC leg is a veth whose host end joins that bridge; its external leg is a veth whose
// host end joins the host's public bridge. Compute hosts carry the same VNI on their own bridges,
// so the gateway is on the instances' L2 segment. Broadcast/unknown traffic goes to the compute
// hosts' VTEPs listed in the settings (head-end replication, one all-zero fdb entry each) or to a
// multicast group. The VNI is the subnet's inventory attribute (PATCH /api/v1/subnets/:id).
//
// Attach observes the host (one `ip -d link show`, the segment's fdb, the gateway namespace),
// plans the commands that are missing and runs them: repeating it changes nothing; detach removes
// the gateway's ports and the segment once no gateway uses it. Planning is pure (unit-tested).
import { createHash } from 'crypto';
import { run } from './exec';
import { namespaceExists, setNamespaceSysctls } from './gateway-namespace';
import { assertPlacement, GatewayNetworkDriver, gatewayMac, GatewayPlacement, gatewaySysctls, subnetPrefixLength } from './gateway-network';
import { replaceRoute, setAddresses, setMacAddress } from './ip-link';
// The two interface names inside every gateway namespace (monitoring and the agent read them too);
// not lab topology, whatever file holds them today.
import { GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE } from './gateway-names';

/** Where the gateway host's fabric is (worker settings: docs/operations.md#network-drivers). */
export interface VxlanSettings {
  /** Host bridge carrying the public network (the external IPs' segment). */
  publicBridge: string;
  /** Underlay interface the VXLAN packets leave by. */
  underlayInterface: string;
  /** This host's VTEP address; null: the kernel picks by route. */
  localIp: string | null;
  /** Compute hosts' VTEP addresses for broadcast/unknown traffic (or `group`). */
  peers: string[];
  /** Multicast group for broadcast/unknown traffic, instead of `peers`. */
  group: string | null;
  /** VXLAN UDP port (IANA: 4789). */
  port: number;
  /**
   * A named network namespace standing in for the host's own network stack (the namespace tests,
   * which build "hypervisor hosts" as namespaces); null in production: the host's stack itself.
   */
  hostNamespace: string | null;
}

/** The placement the worker hands to drivers, with the subnet's VNI (null: not set by operators). */
export type SegmentPlacement = GatewayPlacement & { vni?: number | null };

export const VNI_MAX = 16_777_215;
const ALL_ZERO_MAC = '00:00:00:00:00:00';

export const segmentBridge = (vni: number) => `vxbr${vni}`;
export const segmentVtep = (vni: number) => `vxlan${vni}`;

/** The host ends of a gateway's legs: short, stable, derived from its id (tagged with it as alias). */
export function gatewayHostPorts(gatewayId: string): { external: string; vpc: string } {
  const h = createHash('sha256').update(gatewayId).digest('hex').slice(0, 8);
  return { external: `gx${h}e`, vpc: `gx${h}v` };
}

/** A link on the host as `ip -d -j link show` describes it (the fields planning reads). */
export interface HostLink {
  ifname: string;
  master?: string;
  ifalias?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
}

/** What attach/detach look at before planning. */
export interface HostObservation {
  links: HostLink[];
  /** Destinations of the segment VTEP's all-zero fdb entries (head-end replication). */
  floodDestinations: string[];
  /** Links inside the gateway's namespace (its legs' ends). */
  gatewayLinks: string[];
}

/** One command: `tool` runs in the host's stack (with `-n <hostNamespace>` in the tests). */
export interface Step {
  tool: 'ip' | 'bridge';
  args: string[];
}

const isUp = (l: HostLink | undefined) => !!l?.flags?.includes('UP');

export function vniOf(p: SegmentPlacement): number {
  const vni = p.vni;
  if (vni === undefined || vni === null) {
    throw new Error(
      `subnet ${p.subnetId} has no VNI: an operator sets it (PATCH /api/v1/subnets/${p.subnetId} {"vni": N}) before gateways can be placed in it on a VXLAN host`,
    );
  }
  if (!Number.isInteger(vni) || vni < 1 || vni > VNI_MAX) throw new Error(`subnet ${p.subnetId} has an invalid VNI ${vni}`);
  return vni;
}

function assertOwned(link: HostLink | undefined, gatewayId: string): void {
  if (link?.ifalias && link.ifalias !== gatewayId) {
    throw new Error(`host interface ${link.ifname} belongs to '${link.ifalias}', not '${gatewayId}' (name collision)`);
  }
}

/**
 * The host-side commands attach still needs, given what is there. Empty when all is in place.
 * With `plug: false` (prepare) the legs' host ends are created but left outside their bridges and
 * down; a leg already plugged in stays so.
 */
export function planAttach(p: SegmentPlacement, namespace: string, s: VxlanSettings, obs: HostObservation, opts: { plug?: boolean } = {}): Step[] {
  const plug = opts.plug ?? true;
  const vni = vniOf(p);
  const link = (name: string) => obs.links.find((l) => l.ifname === name);
  if (!link(s.publicBridge)) throw new Error(`public bridge ${s.publicBridge} missing on this host (setting PUBLIC_BRIDGE)`);
  if (!link(s.underlayInterface)) throw new Error(`underlay interface ${s.underlayInterface} missing on this host (setting VXLAN_UNDERLAY_IFACE)`);
  const steps: Step[] = [];
  const bridge = segmentBridge(vni);
  const vtep = segmentVtep(vni);

  // The segment: bridge + VTEP.
  if (!link(bridge)) steps.push({ tool: 'ip', args: ['link', 'add', bridge, 'type', 'bridge'] });
  if (!isUp(link(bridge))) steps.push({ tool: 'ip', args: ['link', 'set', bridge, 'up'] });
  const existingVtep = link(vtep);
  const vtepRight = existingVtep?.linkinfo?.info_kind === 'vxlan' && existingVtep.linkinfo.info_data?.id === vni;
  if (existingVtep && !vtepRight) steps.push({ tool: 'ip', args: ['link', 'del', vtep] });
  if (!vtepRight) {
    steps.push({
      tool: 'ip',
      args: [
        'link',
        'add',
        vtep,
        'type',
        'vxlan',
        'id',
        String(vni),
        'dev',
        s.underlayInterface,
        'dstport',
        String(s.port),
        ...(s.localIp ? ['local', s.localIp] : []),
        ...(s.group ? ['group', s.group] : []),
      ],
    });
  }
  if (!vtepRight || existingVtep?.master !== bridge) steps.push({ tool: 'ip', args: ['link', 'set', vtep, 'master', bridge] });
  if (!vtepRight || !isUp(existingVtep)) steps.push({ tool: 'ip', args: ['link', 'set', vtep, 'up'] });
  if (!s.group) {
    const present = vtepRight ? obs.floodDestinations : [];
    for (const peer of s.peers) {
      if (!present.includes(peer)) steps.push({ tool: 'bridge', args: ['fdb', 'append', ALL_ZERO_MAC, 'dev', vtep, 'dst', peer] });
    }
    for (const stale of present.filter((d) => !s.peers.includes(d))) {
      steps.push({ tool: 'bridge', args: ['fdb', 'del', ALL_ZERO_MAC, 'dev', vtep, 'dst', stale] });
    }
  }

  // The gateway's legs: veth pairs from the host into its namespace.
  const ports = gatewayHostPorts(p.gatewayId);
  for (const [hostEnd, inner, master] of [
    [ports.external, GATEWAY_EXTERNAL_IFACE, s.publicBridge],
    [ports.vpc, GATEWAY_VPC_IFACE, bridge],
  ] as const) {
    const host = link(hostEnd);
    assertOwned(host, p.gatewayId);
    const paired = !!host && obs.gatewayLinks.includes(inner);
    if (!paired) {
      // Half a pair (a vanished namespace, an interrupted attach): start over.
      if (host) steps.push({ tool: 'ip', args: ['link', 'del', hostEnd] });
      steps.push({ tool: 'ip', args: ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', inner, 'netns', namespace] });
    }
    if (!paired || host?.ifalias !== p.gatewayId) steps.push({ tool: 'ip', args: ['link', 'set', hostEnd, 'alias', p.gatewayId] });
    if (!plug) continue;
    if (!paired || host?.master !== master) steps.push({ tool: 'ip', args: ['link', 'set', hostEnd, 'master', master] });
    if (!paired || !isUp(host)) steps.push({ tool: 'ip', args: ['link', 'set', hostEnd, 'up'] });
  }
  return steps;
}

/** The host-side commands that remove the gateway's ports, and its segment once no other gateway uses it. */
export function planDetach(p: SegmentPlacement, obs: HostObservation): Step[] {
  const steps: Step[] = [];
  const ports = gatewayHostPorts(p.gatewayId);
  const owned = (l: HostLink) => !l.ifalias || l.ifalias === p.gatewayId;
  const removed = new Set<string>();
  for (const name of [ports.external, ports.vpc]) {
    const l = obs.links.find((x) => x.ifname === name);
    if (l && owned(l)) {
      steps.push({ tool: 'ip', args: ['link', 'del', name] });
      removed.add(name);
    }
  }
  const vni = p.vni;
  if (vni !== undefined && vni !== null) {
    const bridge = segmentBridge(vni);
    const vtep = segmentVtep(vni);
    const members = obs.links.filter((l) => l.master === bridge && !removed.has(l.ifname) && l.ifname !== vtep);
    if (members.length === 0) {
      if (obs.links.some((l) => l.ifname === vtep)) steps.push({ tool: 'ip', args: ['link', 'del', vtep] });
      if (obs.links.some((l) => l.ifname === bridge)) steps.push({ tool: 'ip', args: ['link', 'del', bridge] });
    }
  }
  return steps;
}

/** Gratuitous ARP for the external IP (iputils arping, unsolicited mode): neighbours and switches
 * learn the address's new MAC/port at once — the floating-IP move that gateway failover relies on. */
export function gratuitousArpArgv(namespace: string, externalIp: string): string[] {
  return ['ip', 'netns', 'exec', namespace, 'arping', '-q', '-U', '-c', '2', '-w', '3', '-I', GATEWAY_EXTERNAL_IFACE, externalIp];
}

export class VxlanNetworkDriver implements GatewayNetworkDriver {
  constructor(private readonly s: VxlanSettings) {
    if (!s.group && s.peers.length === 0) throw new Error('the vxlan driver needs VXLAN_PEERS or VXLAN_GROUP');
  }

  private hostArgs(tool: 'ip' | 'bridge', args: readonly string[]): [string, string[]] {
    return [tool, [...(this.s.hostNamespace ? ['-n', this.s.hostNamespace] : []), ...args]];
  }

  private async runSteps(steps: Step[]): Promise<void> {
    for (const step of steps) await run(...this.hostArgs(step.tool, step.args));
  }

  async observe(p: SegmentPlacement, namespace: string): Promise<HostObservation> {
    const links = JSON.parse((await run(...this.hostArgs('ip', ['-d', '-j', 'link', 'show']))).stdout) as HostLink[];
    let floodDestinations: string[] = [];
    const vni = p.vni;
    if (vni && links.some((l) => l.ifname === segmentVtep(vni))) {
      const fdb = JSON.parse((await run(...this.hostArgs('bridge', ['-j', 'fdb', 'show', 'dev', segmentVtep(vni)]))).stdout) as { mac: string; dst?: string }[];
      floodDestinations = fdb.filter((e) => e.mac === ALL_ZERO_MAC && e.dst).map((e) => e.dst!);
    }
    const gatewayLinks = namespaceExists(namespace)
      ? (JSON.parse((await run('ip', ['-n', namespace, '-j', 'link', 'show'])).stdout) as HostLink[]).map((l) => l.ifname)
      : [];
    return { links, floodDestinations, gatewayLinks };
  }

  /** The legs built, not plugged in (a planned move's new copy): no gratuitous ARP either. */
  async prepare(placement: GatewayPlacement, namespace: string): Promise<void> {
    const p = placement as SegmentPlacement;
    assertPlacement(p);
    if (!namespaceExists(namespace)) throw new Error(`gateway namespace ${namespace} does not exist`);
    await this.runSteps(planAttach(p, namespace, this.s, await this.observe(p, namespace), { plug: false }));
    await this.configureInside(p, namespace);
  }

  async attach(placement: GatewayPlacement, namespace: string): Promise<void> {
    await this.prepare(placement, namespace);
    await this.takeOver(placement, namespace);
  }

  /**
   * `prepare`, and this host's legs plugged into their bridges if they are not (a recreated
   * namespace, a deleted port), without announcing the external IP: another host's copy is not
   * visible from here, and a drain's take-over (on the claimer's machine) never unplugs this one,
   * so a legit owner gets its lost legs back while a stale owner's converged copy stays as it is
   * and never pulls the address back by a gratuitous ARP (its host unplugs it at its lease tick).
   */
  async repair(placement: GatewayPlacement, namespace: string): Promise<void> {
    await this.prepare(placement, namespace);
    await this.plug(placement as SegmentPlacement, namespace);
  }

  /** Plugs the legs into their bridges and announces the external IP (other hosts' copies are theirs to unplug). */
  async takeOver(placement: GatewayPlacement, namespace: string): Promise<void> {
    const p = placement as SegmentPlacement;
    await this.plug(p, namespace);
    // Every take-over announces the external IP (it is how the address moves hosts); a repair never does.
    const [cmd, ...args] = gratuitousArpArgv(namespace, p.externalIp);
    await run(cmd, args, { timeoutMs: 10_000 });
  }

  /** This host's legs plugged into their bridges where they are not (what is plugged stays). */
  private async plug(p: SegmentPlacement, namespace: string): Promise<void> {
    await this.runSteps(planAttach(p, namespace, this.s, await this.observe(p, namespace)));
  }

  /** The gateway's side of its legs: MACs, addresses, sysctls, routes. */
  private async configureInside(p: SegmentPlacement, namespace: string): Promise<void> {
    await setMacAddress(namespace, GATEWAY_EXTERNAL_IFACE, gatewayMac(p.gatewayId, GATEWAY_EXTERNAL_IFACE));
    await setMacAddress(namespace, GATEWAY_VPC_IFACE, gatewayMac(p.gatewayId, GATEWAY_VPC_IFACE));
    for (const iface of [GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE]) await run('ip', ['-n', namespace, 'link', 'set', iface, 'up']);
    await setAddresses(namespace, GATEWAY_EXTERNAL_IFACE, [`${p.externalIp}/${p.externalPrefixLength}`]);
    await setAddresses(namespace, GATEWAY_VPC_IFACE, [`${p.privateIp}/${subnetPrefixLength(p.subnetCidr)}`]);
    await setNamespaceSysctls(namespace, gatewaySysctls([GATEWAY_EXTERNAL_IFACE, GATEWAY_VPC_IFACE]));
    await replaceRoute(namespace, 'default', p.externalRouterIp, GATEWAY_EXTERNAL_IFACE);
    await replaceRoute(namespace, p.vpcCidr, p.subnetRouterIp, GATEWAY_VPC_IFACE);
  }

  async detach(placement: GatewayPlacement, namespace: string): Promise<void> {
    const p = placement as SegmentPlacement;
    await this.runSteps(planDetach(p, await this.observe(p, namespace)));
  }

  // Fencing (issue 13): this host's legs of the gateway go, as on detach; the namespace stays.
  release(placement: GatewayPlacement, namespace: string): Promise<void> {
    return this.detach(placement, namespace);
  }
}
