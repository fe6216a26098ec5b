// The production (vxlan) network driver's two converges, in namespaces: `attach` (a host's first
// sync of a gateway at its epoch: the take-over) announces the external IP with gratuitous ARP;
// `repair` (every later sync) re-plugs this host's lost legs but never announces the address, so a
// host whose owner read went stale (a drain's claimer took the gateway meanwhile) cannot pull the
// address back from the new owner. The announcement is observed where it lands: the neighbour
// entry of the external IP on a router on the public bridge.
//
//   [host: brpub ─ gx…e ═ eth0 (gateway namespace)] ── rt0 ═ eth0 [router 198.51.100.1]
import { gatewayMac } from '../src/negotiation/host/gateway-network';
import { ensureNamespace } from '../src/negotiation/host/gateway-namespace';
import { run } from '../src/negotiation/host/exec';
import { gatewayHostPorts, SegmentPlacement, VxlanNetworkDriver } from '../src/negotiation/host/vxlan-network-driver';
import { forceCleanupPrefix, uniqueGatewayId, uniqueLabPrefix } from './support/lab-fixtures';

jest.setTimeout(60_000);

const prefix = uniqueLabPrefix('vr');
const HOST = `${prefix}-hv`;
const ROUTER = `${prefix}-rt`;
const GATEWAY = `${prefix}-gw`;
const FAKE_MAC = '02:00:00:00:00:99';
const gatewayId = uniqueGatewayId();
const placement: SegmentPlacement = {
  gatewayId,
  externalIp: '198.51.100.10',
  externalPrefixLength: 24,
  externalRouterIp: '198.51.100.1',
  vpcId: 'vpc-vr000001',
  vpcCidr: '10.1.0.0/16',
  subnetId: 'subnet-vr000011',
  subnetCidr: '10.1.1.0/24',
  subnetRouterIp: '10.1.1.1',
  privateIp: '10.1.1.250',
  vni: 5001,
};
const driver = new VxlanNetworkDriver({
  publicBridge: 'brpub',
  underlayInterface: 'ul0',
  localIp: '192.0.2.1',
  peers: ['192.0.2.2'],
  group: null,
  port: 4789,
  hostNamespace: HOST,
});
const ports = gatewayHostPorts(gatewayId);
const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);

/** The MAC the router holds for the gateway's external IP. */
async function routerSees(): Promise<string | undefined> {
  return JSON.parse((await ip(ROUTER, '-j', 'neigh', 'show', placement.externalIp, 'dev', 'eth0')).stdout)[0]?.lladdr;
}
/** A wrong, stale entry: only a gratuitous ARP from the gateway corrects it (nothing else talks here). */
const misleadRouter = () => ip(ROUTER, 'neigh', 'replace', placement.externalIp, 'lladdr', FAKE_MAC, 'dev', 'eth0', 'nud', 'stale');

async function hostLeg(): Promise<{ ifindex: number; master?: string; up: boolean } | undefined> {
  const links = JSON.parse((await ip(HOST, '-j', 'link', 'show')).stdout) as { ifname: string; ifindex: number; master?: string; flags?: string[] }[];
  const l = links.find((x) => x.ifname === ports.external);
  return l && { ifindex: l.ifindex, master: l.master, up: !!l.flags?.includes('UP') };
}

beforeAll(async () => {
  for (const ns of [HOST, ROUTER, GATEWAY]) await ensureNamespace(ns);
  await ip(HOST, 'link', 'add', 'brpub', 'type', 'bridge');
  await ip(HOST, 'link', 'set', 'brpub', 'up');
  await ip(HOST, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul1'); // the underlay (no dummy module here)
  await ip(HOST, 'addr', 'add', '192.0.2.1/24', 'dev', 'ul0');
  await ip(HOST, 'link', 'set', 'ul0', 'up');
  await run('ip', ['link', 'add', 'rt0', 'netns', HOST, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ROUTER]);
  await ip(HOST, 'link', 'set', 'rt0', 'master', 'brpub', 'up');
  await ip(ROUTER, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0');
  await ip(ROUTER, 'link', 'set', 'eth0', 'up');
});

afterAll(async () => {
  await forceCleanupPrefix(prefix);
});

it('attach announces the external IP; repair re-plugs a lost leg without announcing it, and leaves a plugged copy as it is', async () => {
  await misleadRouter();
  await driver.attach(placement, GATEWAY);
  expect(await routerSees()).toBe(gatewayMac(gatewayId, 'eth0')); // the take-over's gratuitous ARP
  const plugged = await hostLeg();
  expect(plugged).toMatchObject({ master: 'brpub', up: true });

  // A later sync on a converged copy: nothing recreated, nothing announced.
  await misleadRouter();
  await driver.repair(placement, GATEWAY);
  expect(await hostLeg()).toEqual(plugged);
  expect(await routerSees()).toBe(FAKE_MAC);

  // This host's leg went missing: repair builds it again and plugs it in, still without announcing.
  await ip(HOST, 'link', 'del', ports.external);
  await driver.repair(placement, GATEWAY);
  const replugged = await hostLeg();
  expect(replugged).toMatchObject({ master: 'brpub', up: true });
  expect(replugged!.ifindex).not.toBe(plugged!.ifindex);
  expect(await routerSees()).toBe(FAKE_MAC);

  // The control: a take-over on the same copy is heard by the router.
  await driver.attach(placement, GATEWAY);
  expect(await routerSees()).toBe(gatewayMac(gatewayId, 'eth0'));
  await driver.detach(placement, GATEWAY);
});
