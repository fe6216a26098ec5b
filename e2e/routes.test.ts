// Issue 4: connected tunnels become reachable from every instance of their local subnets, through
// routes the platform pushes (real agents in the lab's instance and VPC-router namespaces, real
// tunnels). Nobody types a route.
import { Product } from './support/product';
import { uniqueLabPrefix } from './support/lab-fixtures';

const product = new Product({ labPrefix: uniqueLabPrefix('er') });
const SITE = { name: 'idc', publicIp: '203.0.113.61', subnet: '172.16.61.0/24' };
const SITE_HOST = '172.16.61.10';
const SECOND_NET = '172.16.62.0/24'; // a second network at the site (an address of its router)
let gw: any;
let tunnel: any;
let a1: any;
let a2: any;

beforeAll(async () => {
  await product.start();
  gw = await product.createGateway('routes-gw');
  [a1, a2] = product.inventory.vpcs[0].subnets;
}, 120_000);
afterAll(() => product.stop(), 60_000);

async function reconfigureSite() {
  // The remote administrator downloads the file again after the platform side changed.
  if (product.lab.listSites().some((x) => x.name === SITE.name)) await product.lab.removeSite(SITE.name);
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.siteExec(SITE.name, ['ip', 'addr', 'add', '172.16.62.1/24', 'dev', 'lo'], { router: true }).catch(() => undefined);
}

it("1. a connected tunnel's routes reach every instance of its local subnets and no other; edits change exactly the difference; delete withdraws", async () => {
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'idc', ipAddress: SITE.publicIp });
  tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-idc',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [a1.id],
    remoteCidrs: [SITE.subnet],
    psk: 'routes.Key-1',
  });
  await reconfigureSite();
  await product.waitForTunnel(tunnel.id, ['connected']);
  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
  expect(await product.waitForPing('vm-a2', SITE_HOST)).toBe(true);
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SITE.subnet} via ${gw.privateIp}`]);
  expect(await product.agentRoutes('vm-b1')).toEqual([]); // another subnet of the VPC
  expect(await product.vmPings('vm-b1', SITE_HOST, 1)).toBe(false);

  const detail = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`);
  await product.waitFor(async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).routePush.applied === 2, 15_000, 'push status 2/2');
  expect(detail.routePush.targets).toBe(2);

  // Edit: add subnet a2 (served through the VPC router) and a second remote network.
  await product.ok('PUT', `/api/v1/vpn-tunnels/${tunnel.id}/subnets`, { localSubnetIds: [a1.id, a2.id], remoteCidrs: [SITE.subnet, SECOND_NET] });
  await reconfigureSite();
  await product.waitForTunnel(tunnel.id, ['connected']);
  await product.waitFor(async () => (await product.agentRoutes('vm-a1')).length === 2, 15_000, 'vm-a1 to get the second route');
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SITE.subnet} via ${gw.privateIp}`, `${SECOND_NET} via ${gw.privateIp}`]);
  expect(await product.waitForPing('vm-b1', SITE_HOST)).toBe(true);
  expect(await product.agentRoutes('vm-b1')).toEqual([`${SITE.subnet} via 10.1.2.1`, `${SECOND_NET} via 10.1.2.1`]);
  expect(await product.waitForPing('vm-a1', '172.16.62.1')).toBe(true);

  // Edit: drop the first remote network: exactly that route goes, the other stays.
  await product.ok('PUT', `/api/v1/vpn-tunnels/${tunnel.id}/subnets`, { localSubnetIds: [a1.id, a2.id], remoteCidrs: [SECOND_NET] });
  await product.waitFor(async () => (await product.agentRoutes('vm-a1')).length === 1, 15_000, 'vm-a1 to lose the first route');
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SECOND_NET} via ${gw.privateIp}`]);
  await product.ok('PUT', `/api/v1/vpn-tunnels/${tunnel.id}/subnets`, { localSubnetIds: [a1.id, a2.id], remoteCidrs: [SITE.subnet, SECOND_NET] });
  await reconfigureSite();
  await product.waitForTunnel(tunnel.id, ['connected']);
  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
});

it('2. an agent stopped during a change converges at restart; routes it did not install survive', async () => {
  await product.vmExec('vm-a2', ['ip', 'route', 'add', '192.0.2.128/25', 'via', '10.1.1.1', 'proto', 'static']);
  expect(await product.agentRoutes('vm-a2')).toHaveLength(2);
  await product.lab.stopAgent('vm-a2');
  await product.ok('PUT', `/api/v1/vpn-tunnels/${tunnel.id}/subnets`, { localSubnetIds: [a1.id, a2.id], remoteCidrs: [SECOND_NET] });
  await new Promise((r) => setTimeout(r, 1500));
  expect(await product.agentRoutes('vm-a2')).toHaveLength(2); // stopped: it missed the change
  await product.lab.startAgent('vm-a2');
  await product.waitFor(async () => (await product.agentRoutes('vm-a2')).length === 1, 20_000, 'vm-a2 to converge');
  expect(await product.agentRoutes('vm-a2')).toEqual([`${SECOND_NET} via ${gw.privateIp}`]);
  const foreign = await product.vmExec('vm-a2', ['ip', '-o', 'route', 'show', '192.0.2.128/25']);
  expect(foreign.stdout).toContain('proto static');
});

it('3. stopping the API keeps the routes in the instances; the agents catch up when it returns', async () => {
  const before = await product.agentRoutes('vm-a1');
  expect(before.length).toBeGreaterThan(0);
  // SIGTERM while every agent holds a long poll: the API must not wait for them (it used to hang).
  const stopped = await product.stopApi(5000);
  expect(stopped.exitedByItself).toBe(true);
  await new Promise((r) => setTimeout(r, 3000));
  expect(await product.agentRoutes('vm-a1')).toEqual(before);
  expect(await product.agentRoutes('vm-b1')).not.toEqual([]);
  await product.startApi();
  await product.ok('DELETE', `/api/v1/vpn-tunnels/${tunnel.id}`);
  for (const vm of ['vm-a1', 'vm-a2', 'vm-b1']) {
    await product.waitFor(async () => (await product.agentRoutes(vm)).length === 0, 40_000, `${vm} to drop its routes`);
  }
  expect(await product.vmPings('vm-a1', SITE_HOST, 1)).toBe(false);
});
