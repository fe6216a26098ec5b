// The production (vxlan) network driver, proven in namespaces: two "hypervisor hosts" joined by an
// underlay link — a compute host whose VXLAN bridge carries a VPC instance, and a gateway host
// whose worker (NETWORK_DRIVER=vxlan) plugs the gateway into the same VNI and into a public
// bridge uplinked to the lab's internet. A tunnel from that gateway to a lab site carries a ping
// from the instance. The compute host is built here with plain ip/bridge commands (not with the
// driver), as another hypervisor's agent would.
//
//   lab site 203.0.113.x ── lab inet0 ── uplink ── [gateway host: brpub ─ gateway eth0]
//                                                  [            vxbrN ─ gateway eth1] ── vxlanN
//                                                                                        │ underlay 192.0.2.0/24 (ul0)
//                                                  [compute host: vxlanN ─ vxbrN ─ instance 10.1.1.77]
import { randomInt } from 'crypto';
import { gatewayMac } from '../src/negotiation/host/gateway-network';
import { LabNames } from '../lab/lab-names';
import { gatewayHostPorts, segmentBridge, segmentVtep } from '../src/negotiation/host/vxlan-network-driver';
import { run } from '../src/negotiation/host/exec';
import { forceCleanupPrefix, uniqueLabPrefix } from './support/lab-fixtures';
import { Product } from './support/product';

const prefix = uniqueLabPrefix('pd');
const GW_HOST = `${prefix}-hv-gw`;
const COMPUTE_HOST = `${prefix}-hv-cmp`;
const INSTANCE = `${prefix}-hv-vm`;
const INSTANCE_IP = '10.1.1.77';
const VNI = randomInt(1000, 16_000_000);
const SITE = { name: 'pd-site', publicIp: '203.0.113.61', subnet: '172.16.61.0/24' };
const SITE_HOST = '172.16.61.10';

const product = new Product({
  labPrefix: prefix,
  workerEnv: {
    NETWORK_DRIVER: 'vxlan',
    PUBLIC_BRIDGE: 'brpub',
    VXLAN_UNDERLAY_IFACE: 'ul0',
    VXLAN_LOCAL_IP: '192.0.2.1',
    VXLAN_PEERS: '192.0.2.2',
    // The worker runs on this machine; the "gateway host's own network stack" is this namespace.
    VXLAN_HOST_NETNS: GW_HOST,
  },
});

const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);
const inNs = (ns: string, ...argv: string[]) => run('ip', ['netns', 'exec', ns, ...argv], { timeoutMs: 20_000 });

async function buildHypervisors(): Promise<void> {
  const inet = new LabNames(prefix);
  for (const ns of [GW_HOST, COMPUTE_HOST, INSTANCE]) {
    await run('ip', ['netns', 'add', ns]);
    await ip(ns, 'link', 'set', 'lo', 'up');
  }
  // Gateway host: a public bridge uplinked to the lab's internet segment.
  await ip(GW_HOST, 'link', 'add', 'brpub', 'type', 'bridge');
  await ip(GW_HOST, 'link', 'set', 'brpub', 'up');
  const inetPort = `u${prefix}`;
  await run('ip', ['link', 'add', 'uplink', 'netns', GW_HOST, 'type', 'veth', 'peer', 'name', inetPort, 'netns', inet.inetNamespace]);
  await ip(GW_HOST, 'link', 'set', 'uplink', 'master', 'brpub', 'up');
  await ip(inet.inetNamespace, 'link', 'set', inetPort, 'master', inet.inetBridge, 'up');
  // The underlay: a link between the two hosts, MTU room for VXLAN's 50 bytes over 1500.
  await run('ip', ['link', 'add', 'ul0', 'netns', GW_HOST, 'mtu', '1550', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', COMPUTE_HOST, 'mtu', '1550']);
  await ip(GW_HOST, 'addr', 'add', '192.0.2.1/24', 'dev', 'ul0');
  await ip(GW_HOST, 'link', 'set', 'ul0', 'up');
  await ip(COMPUTE_HOST, 'addr', 'add', '192.0.2.2/24', 'dev', 'ul0');
  await ip(COMPUTE_HOST, 'link', 'set', 'ul0', 'up');
  // Compute host: the subnet's VXLAN bridge and an instance on it.
  await ip(COMPUTE_HOST, 'link', 'add', 'vxbr', 'type', 'bridge');
  await ip(COMPUTE_HOST, 'link', 'set', 'vxbr', 'up');
  await ip(COMPUTE_HOST, 'link', 'add', 'vx', 'type', 'vxlan', 'id', String(VNI), 'dev', 'ul0', 'local', '192.0.2.2', 'dstport', '4789');
  await ip(COMPUTE_HOST, 'link', 'set', 'vx', 'master', 'vxbr', 'up');
  await run('bridge', ['-n', COMPUTE_HOST, 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx', 'dst', '192.0.2.1']);
  await run('ip', ['link', 'add', 'tap0', 'netns', COMPUTE_HOST, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', INSTANCE]);
  await ip(COMPUTE_HOST, 'link', 'set', 'tap0', 'master', 'vxbr', 'up');
  await ip(INSTANCE, 'addr', 'add', `${INSTANCE_IP}/24`, 'dev', 'eth0');
  await ip(INSTANCE, 'link', 'set', 'eth0', 'up');
}

async function hostLinks(): Promise<{ ifname: string; ifindex: number; master?: string }[]> {
  return JSON.parse((await ip(GW_HOST, '-j', 'link', 'show')).stdout);
}

async function instancePings(target: string, count = 1): Promise<boolean> {
  try {
    await inNs(INSTANCE, 'ping', '-c', String(count), '-W', '2', target);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  await product.start();
  await buildHypervisors();
}, 180_000);

afterAll(async () => {
  await product.stop();
  // The hypervisor namespaces carry the lab's prefix: whatever is left goes, also after a failure.
  await forceCleanupPrefix(prefix);
}, 90_000);

it("a gateway on the VXLAN fabric carries an instance's ping through a tunnel to a lab site; detach leaves nothing behind", async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const subnet = vpc.subnets[0];
  await product.ok('PATCH', `/api/v1/subnets/${subnet.id}`, { vni: VNI }, product.adminKey);

  // A stale neighbour entry for the external IP on the internet router: gratuitous ARP must fix it.
  const eips = await product.ok('GET', '/api/v1/external-ips?limit=100&sort=address&order=asc');
  const eip = eips.items.find((e: any) => !e.boundTo);
  const inet = new LabNames(prefix);
  await ip(inet.inetNamespace, 'neigh', 'replace', eip.address, 'lladdr', '02:00:00:00:00:99', 'dev', inet.inetBridge, 'nud', 'stale');

  const gw = await product.waitForGateway(
    (
      await product.ok('POST', '/api/v1/vpn-gateways', {
        name: 'pd-gw',
        machineTypeId: inv.machineType.id,
        vpcId: vpc.id,
        subnetId: subnet.id,
        externalIpId: eip.id,
        chargeType: 'hourly',
      })
    ).id,
  );
  expect(gw.externalIp.address).toBe(eip.address);

  // On the gateway host: the segment (VTEP on the bridge) and the gateway's two legs.
  const ports = gatewayHostPorts(gw.id);
  const links = await hostLinks();
  const master = (name: string) => links.find((l) => l.ifname === name)?.master;
  expect(master(segmentVtep(VNI))).toBe(segmentBridge(VNI));
  expect(master(ports.vpc)).toBe(segmentBridge(VNI));
  expect(master(ports.external)).toBe('brpub');
  const neigh = JSON.parse((await ip(inet.inetNamespace, '-j', 'neigh', 'show', eip.address, 'dev', inet.inetBridge)).stdout);
  expect(neigh[0]?.lladdr).toBe(gatewayMac(gw.id, 'eth0'));

  // The instance reaches the gateway over VXLAN, then the remote site through the tunnel.
  expect(await instancePings(gw.privateIp, 2)).toBe(true);
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'pd-site', ipAddress: SITE.publicIp });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'pd-tunnel',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [subnet.id],
    remoteCidrs: [SITE.subnet],
    psk: 'pd.Secret-Key-1',
  });
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.waitForTunnel(tunnel.id, ['connected'], 90_000);
  // This instance is not one of the lab's (no route agent): its route is the operator's here.
  await ip(INSTANCE, 'route', 'replace', SITE.subnet, 'via', gw.privateIp);
  await product.waitFor(() => instancePings(SITE_HOST), 30_000, `instance to reach ${SITE_HOST}`);
  expect(await instancePings(SITE_HOST, 3)).toBe(true);

  // The reconciler attaches again every 5 s: nothing on the host is recreated.
  const before = (await hostLinks()).map((l) => `${l.ifname}#${l.ifindex}`).sort();
  await new Promise((r) => setTimeout(r, 7000));
  expect((await hostLinks()).map((l) => `${l.ifname}#${l.ifindex}`).sort()).toEqual(before);
  expect(await instancePings(SITE_HOST, 1)).toBe(true);

  // Deleting the gateway detaches it: its legs and the now unused segment are gone.
  await product.ok('DELETE', `/api/v1/vpn-tunnels/${tunnel.id}`);
  await product.waitFor(async () => (await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).status === 404, 60_000, 'tunnel removed');
  expect((await product.request('DELETE', `/api/v1/vpn-gateways/${gw.id}`)).status).toBeLessThan(300);
  await product.waitFor(async () => (await product.request('GET', `/api/v1/vpn-gateways/${gw.id}`)).status === 404, 60_000, 'gateway removed');
  const names = (await hostLinks()).map((l) => l.ifname).sort();
  expect(names).toEqual(['brpub', 'lo', 'ul0', 'uplink'].sort());
}, 240_000);
