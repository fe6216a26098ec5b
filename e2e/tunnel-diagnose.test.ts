// Issue 16: POST /vpn-tunnels/{id}/diagnose, run by the gateway's worker against real charons. A
// tunnel to a silent peer fails "peer answers IKE" (the probe goes out of the gateway's own
// namespace); a connected tunnel carrying a ping passes every check.
import { uniqueLabPrefix } from './support/lab-fixtures';
import { Product } from './support/product';

const product = new Product({ labPrefix: uniqueLabPrefix('dn') });
const SITE = { name: 'dn-site', publicIp: '203.0.113.86', subnet: '172.16.86.0/24' };
const SILENT_PEER = '203.0.113.231'; // nothing on the lab internet answers there

beforeAll(() => product.start(), 150_000);
afterAll(() => product.stop(), 60_000);

const diagnose = async (id: string) => {
  const res = await product.request('POST', `/api/v1/vpn-tunnels/${id}/diagnose`);
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.checks.map((c: any) => [c.id, c]));
};

it('fails "peer answers IKE" for a silent peer and passes every check for a connected tunnel carrying traffic', async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const eip = (await product.ok('GET', '/api/v1/external-ips?limit=100')).items.find((e: any) => !e.boundTo);
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'dn-gw',
    machineTypeId: inv.machineType.id,
    vpcId: vpc.id,
    subnetId: vpc.subnets[0].id,
    externalIpId: eip.id,
    chargeType: 'hourly',
  });
  await product.waitForGateway(gw.id);

  const silentPeer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'silent', ipAddress: SILENT_PEER });
  const silent = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-nowhere',
    gatewayId: gw.id,
    peerId: silentPeer.id,
    localSubnetIds: [vpc.subnets[0].id],
    remoteCidrs: ['172.16.231.0/24'],
    psk: 'Diagnose.Silent-1',
  });
  const s = await diagnose(silent.id);
  expect(s.gateway_running.status).toBe('pass');
  expect(s.host_answers.status).toBe('pass');
  expect(s.peer_answers_ike).toMatchObject({
    status: 'fail',
    detail: expect.stringContaining(`nothing answered IKE from ${SILENT_PEER}`),
    advice: expect.stringContaining('UDP 500 and 4500'),
  });
  expect(s.sa_established.status).toBe('fail');
  expect(s.routes_applied.status).toBe('skip');

  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'site', ipAddress: SITE.publicIp });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-site',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [vpc.subnets[0].id],
    remoteCidrs: [SITE.subnet],
    psk: 'Diagnose.Site-2',
  });
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.waitForTunnel(tunnel.id, ['connected'], 60_000);
  expect(await product.waitForPing('vm-a1', '172.16.86.10')).toBe(true);
  await product.waitFor(async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).routePush?.applied > 0, 30_000, 'routes applied');
  const ping = product.backgroundPing('vm-a1', '172.16.86.10', 25);
  const c = await diagnose(tunnel.id);
  await ping;
  expect(Object.fromEntries(Object.entries(c).map(([id, check]: [string, any]) => [id, check.status]))).toEqual({
    gateway_running: 'pass',
    host_answers: 'pass',
    peer_answers_ike: 'pass',
    last_attempt: 'pass',
    sa_established: 'pass',
    traffic: 'pass',
    routes_applied: 'pass',
  });
  expect(c.traffic.detail).toMatch(/^\d+ bytes crossed the tunnel in 2 s$/);
});
