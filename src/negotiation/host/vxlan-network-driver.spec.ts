import {
  gatewayHostPorts,
  gratuitousArpArgv,
  HostObservation,
  planAttach,
  planDetach,
  SegmentPlacement,
  segmentBridge,
  segmentVtep,
  Step,
  VxlanSettings,
} from './vxlan-network-driver';

const settings: VxlanSettings = {
  publicBridge: 'br-public',
  underlayInterface: 'ul0',
  localIp: '192.0.2.1',
  peers: ['192.0.2.2', '192.0.2.3'],
  group: null,
  port: 4789,
  hostNamespace: null,
};
const placement = (gatewayId = 'vpngw-aaaa1111', vni: number | null = 5001): SegmentPlacement => ({
  gatewayId,
  externalIp: '198.51.100.10',
  externalPrefixLength: 24,
  externalRouterIp: '198.51.100.1',
  vpcId: 'vpc-1',
  vpcCidr: '10.1.0.0/16',
  subnetId: 'subnet-1',
  subnetCidr: '10.1.1.0/24',
  subnetRouterIp: '10.1.1.1',
  privateIp: '10.1.1.250',
  vni,
});
const bareHost = (): HostObservation => ({
  links: [
    { ifname: 'lo', flags: ['UP'] },
    { ifname: 'ul0', flags: ['UP'] },
    { ifname: 'br-public', flags: ['UP'], linkinfo: { info_kind: 'bridge' } },
  ],
  floodDestinations: [],
  gatewayLinks: ['lo'],
});

/** Applies planned steps to an observation the way ip/bridge would change the host. */
function apply(obs: HostObservation, steps: Step[]): HostObservation {
  const next: HostObservation = structuredClone(obs);
  const find = (n: string) => next.links.find((l) => l.ifname === n)!;
  for (const { tool, args } of steps) {
    const cmd = `${tool} ${args.slice(0, 2).join(' ')}`;
    if (cmd === 'ip link add') {
      const [, , name, , kind] = args;
      const l = {
        ifname: name,
        flags: [] as string[],
        linkinfo: { info_kind: kind, info_data: kind === 'vxlan' ? { id: Number(args[args.indexOf('id') + 1]) } : undefined },
      };
      next.links.push(l);
      if (kind === 'veth') next.gatewayLinks.push(args[args.indexOf('name') + 1]);
      if (kind === 'vxlan') next.floodDestinations = [];
    } else if (cmd === 'ip link del') {
      next.links = next.links.filter((l) => l.ifname !== args[2]);
    } else if (cmd.startsWith('ip link set')) {
      const l = find(args[2]);
      if (args[3] === 'up') l.flags = ['UP'];
      if (args[3] === 'master') l.master = args[4];
      if (args[3] === 'alias') l.ifalias = args[4];
    } else if (cmd === 'bridge fdb append') {
      next.floodDestinations.push(args[args.indexOf('dst') + 1]);
    } else if (cmd === 'bridge fdb del') {
      next.floodDestinations = next.floodDestinations.filter((d) => d !== args[args.indexOf('dst') + 1]);
    } else {
      throw new Error(`unexpected step ${tool} ${args.join(' ')}`);
    }
  }
  return next;
}

const text = (steps: Step[]) => steps.map((s) => `${s.tool} ${s.args.join(' ')}`);

describe('planAttach', () => {
  it('builds the segment (bridge, VTEP over the underlay, one flood entry per peer) and both legs on a bare host', () => {
    const p = placement();
    const ports = gatewayHostPorts(p.gatewayId);
    expect(text(planAttach(p, p.gatewayId, settings, bareHost()))).toEqual([
      'ip link add vxbr5001 type bridge',
      'ip link set vxbr5001 up',
      'ip link add vxlan5001 type vxlan id 5001 dev ul0 dstport 4789 local 192.0.2.1',
      'ip link set vxlan5001 master vxbr5001',
      'ip link set vxlan5001 up',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan5001 dst 192.0.2.2',
      'bridge fdb append 00:00:00:00:00:00 dev vxlan5001 dst 192.0.2.3',
      `ip link add ${ports.external} type veth peer name eth0 netns vpngw-aaaa1111`,
      `ip link set ${ports.external} alias vpngw-aaaa1111`,
      `ip link set ${ports.external} master br-public`,
      `ip link set ${ports.external} up`,
      `ip link add ${ports.vpc} type veth peer name eth1 netns vpngw-aaaa1111`,
      `ip link set ${ports.vpc} alias vpngw-aaaa1111`,
      `ip link set ${ports.vpc} master vxbr5001`,
      `ip link set ${ports.vpc} up`,
    ]);
  });

  it('prepares (plug: false) the legs outside their bridges and down, and never unplugs a plugged leg', () => {
    const p = placement();
    const ports = gatewayHostPorts(p.gatewayId);
    const prepared = text(planAttach(p, p.gatewayId, settings, bareHost(), { plug: false }));
    expect(prepared.filter((s) => s.includes(ports.external) || s.includes(ports.vpc))).toEqual([
      `ip link add ${ports.external} type veth peer name eth0 netns vpngw-aaaa1111`,
      `ip link set ${ports.external} alias vpngw-aaaa1111`,
      `ip link add ${ports.vpc} type veth peer name eth1 netns vpngw-aaaa1111`,
      `ip link set ${ports.vpc} alias vpngw-aaaa1111`,
    ]);
    // Taking over after preparing only plugs the legs in.
    const afterPrepare = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost(), { plug: false }));
    expect(text(planAttach(p, p.gatewayId, settings, afterPrepare))).toEqual([
      `ip link set ${ports.external} master br-public`,
      `ip link set ${ports.external} up`,
      `ip link set ${ports.vpc} master vxbr5001`,
      `ip link set ${ports.vpc} up`,
    ]);
    const attached = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost()));
    expect(planAttach(p, p.gatewayId, settings, attached, { plug: false })).toEqual([]);
  });

  it('is idempotent: once applied, planning again yields nothing', () => {
    const p = placement();
    const after = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost()));
    expect(planAttach(p, p.gatewayId, settings, after)).toEqual([]);
  });

  it('a second gateway in the same subnet reuses the segment: only its own legs', () => {
    const a = placement('vpngw-aaaa1111');
    const b = placement('vpngw-bbbb2222');
    const withA = apply(bareHost(), planAttach(a, a.gatewayId, settings, bareHost()));
    const stepsB = text(planAttach(b, b.gatewayId, settings, { ...withA, gatewayLinks: ['lo'] }));
    expect(stepsB.every((s) => s.includes(gatewayHostPorts(b.gatewayId).external) || s.includes(gatewayHostPorts(b.gatewayId).vpc))).toBe(true);
    expect(stepsB).toHaveLength(8);
  });

  it('converges the flood list when the peers change (adds the new, deletes the stale)', () => {
    const p = placement();
    const built = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost()));
    const changed = { ...settings, peers: ['192.0.2.3', '192.0.2.4'] };
    expect(text(planAttach(p, p.gatewayId, changed, built))).toEqual([
      'bridge fdb append 00:00:00:00:00:00 dev vxlan5001 dst 192.0.2.4',
      'bridge fdb del 00:00:00:00:00:00 dev vxlan5001 dst 192.0.2.2',
    ]);
  });

  it('with a multicast group the VTEP joins it and no flood entries are written', () => {
    const p = placement();
    const steps = text(planAttach(p, p.gatewayId, { ...settings, peers: [], group: '239.1.1.1' }, bareHost()));
    expect(steps).toContain('ip link add vxlan5001 type vxlan id 5001 dev ul0 dstport 4789 local 192.0.2.1 group 239.1.1.1');
    expect(steps.some((s) => s.startsWith('bridge'))).toBe(false);
  });

  it('recreates half a pair (the gateway namespace lost its end) and a VTEP with the wrong VNI', () => {
    const p = placement();
    const built = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost()));
    const ports = gatewayHostPorts(p.gatewayId);
    const halfPair = { ...built, gatewayLinks: ['lo', 'eth1'] };
    expect(text(planAttach(p, p.gatewayId, settings, halfPair)).slice(0, 2)).toEqual([
      `ip link del ${ports.external}`,
      `ip link add ${ports.external} type veth peer name eth0 netns vpngw-aaaa1111`,
    ]);
    const wrongVni = structuredClone(built);
    wrongVni.links.find((l) => l.ifname === 'vxlan5001')!.linkinfo = { info_kind: 'vxlan', info_data: { id: 9 } };
    expect(text(planAttach(p, p.gatewayId, settings, wrongVni)).slice(0, 2)).toEqual([
      'ip link del vxlan5001',
      'ip link add vxlan5001 type vxlan id 5001 dev ul0 dstport 4789 local 192.0.2.1',
    ]);
  });

  it('refuses: no VNI (naming the subnet and how to set it), a missing bridge or underlay, a port owned by another gateway', () => {
    const p = placement();
    expect(() => planAttach(placement('vpngw-aaaa1111', null), p.gatewayId, settings, bareHost())).toThrow(
      /subnet subnet-1 has no VNI.*PATCH \/api\/v1\/subnets\/subnet-1/,
    );
    expect(() => planAttach(p, p.gatewayId, { ...settings, publicBridge: 'br-x' }, bareHost())).toThrow(/public bridge br-x missing.*PUBLIC_BRIDGE/);
    expect(() => planAttach(p, p.gatewayId, { ...settings, underlayInterface: 'bond9' }, bareHost())).toThrow(/underlay interface bond9 missing/);
    const taken = bareHost();
    taken.links.push({ ifname: gatewayHostPorts(p.gatewayId).external, ifalias: 'vpngw-other' });
    expect(() => planAttach(p, p.gatewayId, settings, taken)).toThrow(/belongs to 'vpngw-other'/);
  });
});

describe('planDetach', () => {
  it('removes the legs and, with no other gateway on it, the segment; then nothing is left to do', () => {
    const p = placement();
    const built = apply(bareHost(), planAttach(p, p.gatewayId, settings, bareHost()));
    const steps = planDetach(p, built);
    const ports = gatewayHostPorts(p.gatewayId);
    expect(text(steps)).toEqual([`ip link del ${ports.external}`, `ip link del ${ports.vpc}`, 'ip link del vxlan5001', 'ip link del vxbr5001']);
    const gone = apply(built, steps);
    expect(gone.links.map((l) => l.ifname)).toEqual(['lo', 'ul0', 'br-public']);
    expect(planDetach(p, gone)).toEqual([]);
  });

  it("keeps the segment while another gateway uses it, and never deletes another gateway's port", () => {
    const a = placement('vpngw-aaaa1111');
    const b = placement('vpngw-bbbb2222');
    let host = apply(bareHost(), planAttach(a, a.gatewayId, settings, bareHost()));
    host = apply(host, planAttach(b, b.gatewayId, settings, { ...host, gatewayLinks: ['lo'] }));
    expect(text(planDetach(a, host))).toEqual([`ip link del ${gatewayHostPorts(a.gatewayId).external}`, `ip link del ${gatewayHostPorts(a.gatewayId).vpc}`]);
    const foreign = structuredClone(host);
    foreign.links.find((l) => l.ifname === gatewayHostPorts(a.gatewayId).vpc)!.ifalias = 'vpngw-other';
    expect(text(planDetach(a, foreign))).toEqual([`ip link del ${gatewayHostPorts(a.gatewayId).external}`]);
  });

  it('succeeds with nothing there (a never-attached or already-detached gateway)', () => {
    expect(planDetach(placement(), bareHost())).toEqual([]);
    expect(planDetach(placement('vpngw-aaaa1111', null), bareHost())).toEqual([]);
  });
});

it("names stay within the kernel's 15 characters for the largest VNI and any gateway id", () => {
  expect(segmentBridge(16_777_215).length).toBeLessThanOrEqual(15);
  expect(segmentVtep(16_777_215).length).toBeLessThanOrEqual(15);
  const ports = gatewayHostPorts('vpngw-' + 'x'.repeat(40));
  expect(ports.external.length).toBeLessThanOrEqual(15);
  expect(ports.external).not.toBe(gatewayHostPorts('vpngw-' + 'x'.repeat(39)).external);
});

it("takes the external IP over with unsolicited (gratuitous) ARP from the gateway's external leg", () => {
  expect(gratuitousArpArgv('vpngw-aaaa1111', '198.51.100.10')).toEqual([
    'ip',
    'netns',
    'exec',
    'vpngw-aaaa1111',
    'arping',
    '-q',
    '-U',
    '-c',
    '2',
    '-w',
    '3',
    '-I',
    'eth0',
    '198.51.100.10',
  ]);
});
