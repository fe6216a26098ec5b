// Issue 6 (billing) end to end: a bought gateway carries a real tunnel to a lab site; when it
// expires the sweep stops it (charon and namespace gone, tunnel down, the instance's pushed route
// withdrawn), a renewal brings it back and the tunnel reconnects with traffic flowing, and at the
// end of retention the gateway is released with its tunnel and its address. Time passes by moving
// expires_at/expired_at in the database and calling the operator's POST /billing/sweep.
import { existsSync } from 'fs';
import { uniqueLabPrefix } from './support/lab-fixtures';
import { Product } from './support/product';

const product = new Product({ labPrefix: uniqueLabPrefix('bx'), workerEnv: { RETRY_INTERVAL_MS: '3000' } });
const SITE = { name: 'bx-site', publicIp: '203.0.113.63', subnet: '172.16.63.0/24' };
const SITE_HOST = '172.16.63.10';

beforeAll(() => product.start(), 150_000);
afterAll(() => product.stop(), 60_000);

const admin = async (method: string, path: string, body?: unknown) => {
  const r = await product.request(method, path, body, product.adminKey);
  if (r.status !== 200 && r.status !== 201) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.body;
};
const sweep = () => admin('POST', '/api/v1/billing/sweep');
const vpcLegMac = async (gatewayId: string) =>
  JSON.parse((await product.vmExec('vm-a1', ['ip', '-n', product.gatewayNamespace(gatewayId), '-j', 'link', 'show', 'dev', 'eth1'])).stdout)[0]
    .address as string;
/** Traffic flows through the tunnel: a ping from the VPC instance answers (one lost packet under load is not a failure). */
const reachesSite = () => product.waitFor(() => product.vmPings('vm-a1', SITE_HOST, 1), 30_000, 'vm-a1 to reach the site through the tunnel', 200);

it('expiry stops the gateway, a renewal restores it and its tunnel reconnects; release frees everything', async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const start = (await product.ok('GET', '/api/v1/account')).balance;
  expect(start).toBeGreaterThan(0); // the lab funds the demo tenant

  const quote = await product.ok('POST', '/api/v1/vpn-gateways/quote', { machineTypeId: inv.machineType.id, chargeType: 'hourly', period: 2 });
  expect(quote).toMatchObject({ quantity: 1, period: 2, amount: quote.unitPrice * 2, affordable: true });
  const eip = (await product.ok('GET', '/api/v1/external-ips?limit=100&sort=address&order=asc')).items.find((e: any) => !e.boundTo);
  const bought = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'bx-gw',
    machineTypeId: inv.machineType.id,
    vpcId: vpc.id,
    subnetId: vpc.subnets[0].id,
    externalIpId: eip.id,
    chargeType: 'hourly',
    period: 2,
  });
  expect((await product.ok('GET', '/api/v1/account')).balance).toBe(start - quote.amount);
  const gw = await product.waitForGateway(bought.id);
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'bx-peer', ipAddress: SITE.publicIp });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'bx-tunnel',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [vpc.subnets[0].id],
    remoteCidrs: [SITE.subnet],
    psk: 'Billing.Key-2026',
  });
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.waitForTunnel(tunnel.id, ['connected'], 60_000);
  await reachesSite();
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SITE.subnet} via ${gw.privateIp}`]);

  const macBefore = await vpcLegMac(gw.id);
  // Expiry: stopped; the tunnel is down and the instance's route is withdrawn.
  await product.sql("UPDATE vpn_gateways SET expires_at = now() - interval '1 second' WHERE id = $1", [gw.id]);
  expect((await sweep()).expired).toBe(1);
  expect((await sweep()).expired).toBe(0);
  expect((await product.ok('GET', `/api/v1/vpn-gateways/${gw.id}`)).resourceState).toBe('expired');
  await product.waitFor(async () => !existsSync(product.viciSocket(gw.id)), 30_000, "the expired gateway's charon to stop");
  // The worker writes tunnel states behind (never awaited on the data path): under load the write
  // lands a moment after charon has stopped.
  let down: any;
  await product
    .waitFor(
      async () => {
        down = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`);
        return down.failure?.code === 'gateway_expired';
      },
      15_000,
      'the tunnel to show gateway_expired',
    )
    .catch(() => undefined);
  expect(down).toMatchObject({ connectionState: 'connecting', failure: { code: 'gateway_expired' } });
  await product.waitFor(async () => (await product.agentRoutes('vm-a1')).length === 0, 30_000, 'the route to be withdrawn');
  expect(await product.vmPings('vm-a1', SITE_HOST, 1)).toBe(false);
  // The state holds: the worker's reconciler does not bring an expired gateway back.
  await new Promise((r) => setTimeout(r, 6000));
  expect((await product.ok('GET', `/api/v1/vpn-gateways/${gw.id}`)).resourceState).toBe('expired');
  expect(existsSync(product.viciSocket(gw.id))).toBe(false);
  const notices = (await product.ok('GET', `/api/v1/notifications?resourceId=${gw.id}`)).items.map((n: any) => n.event);
  expect(notices).toContain('expired');

  // Renewal: running again, the tunnel reconnects, traffic and the route come back.
  const renewed = await product.ok('POST', `/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 });
  expect(renewed).toMatchObject({ resourceState: 'creating', order: { kind: 'renewal', period: 1, quantity: 1 } });
  await product.waitForGateway(gw.id, 'running', 60_000);
  await product.waitForTunnel(tunnel.id, ['connected'], 90_000);
  await reachesSite();
  // The gateway's VPC leg has the same MAC as before (derived from its id): the instance's ARP
  // cache entry for the gateway stays right across the namespace's re-creation.
  expect(await vpcLegMac(gw.id)).toBe(macBefore);
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SITE.subnet} via ${gw.privateIp}`]);
  const ledger = (await product.ok('GET', `/api/v1/ledger?gatewayId=${gw.id}&sort=createdAt&order=asc`)).items;
  expect(ledger.map((l: any) => [l.kind, l.amount])).toEqual([
    ['charge', -quote.amount],
    ['charge', -quote.unitPrice],
  ]);

  // Release at the end of retention: gateway and tunnel deleted, namespace gone, address free.
  await product.sql("UPDATE vpn_gateways SET expires_at = now() - interval '1 second' WHERE id = $1", [gw.id]);
  expect((await sweep()).expired).toBe(1);
  const { retentionHours } = await admin('GET', '/api/v1/billing/settings');
  await product.sql('UPDATE vpn_gateways SET expired_at = now() - make_interval(hours => $2::int + 1) WHERE id = $1', [gw.id, retentionHours]);
  expect((await sweep()).released).toBe(1);
  expect((await product.request('GET', `/api/v1/vpn-gateways/${gw.id}`)).status).toBe(404);
  expect((await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).status).toBe(404);
  const freed = (await product.ok('GET', '/api/v1/external-ips?limit=100')).items.find((e: any) => e.id === eip.id);
  expect(freed.boundTo).toBeNull();
  await product.waitFor(async () => !existsSync(product.viciSocket(gw.id)), 30_000, 'the released gateway to be gone from its host');
  expect((await product.ok('GET', `/api/v1/orders?gatewayId=${gw.id}`)).items).toHaveLength(2);
});
