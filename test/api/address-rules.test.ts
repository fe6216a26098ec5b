// Address rules (issue 14): peers may be private (VPC to VPC, private lines) but not link-local,
// the metadata address or one of this platform's own external IPs; remote subnets may not be
// loopback, link-local, multicast, broadcast, 0.0.0.0/32 or 0.0.0.0/0.
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let other: TenantWorld;
let t: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'addr', 1);
  other = await createTenantWorld(api, 'addr-other', 2);
  t = client(api, w.key);
});
afterAll(() => api?.close());

it.each([
  ['169.254.169.254', 'not_link_local'],
  ['169.254.1.1', 'not_link_local'],
  ['127.0.0.1', 'not_loopback'],
])('refuses the peer address %s (%s)', async (ipAddress, rule) => {
  const res = await t.post('/api/v1/peer-gateways', { name: 'p', ipAddress });
  expect(res.status).toBe(400);
  expect(res.body.violations).toEqual([expect.objectContaining({ field: 'ipAddress', rule })]);
});

it("refuses another tenant's external IP as a peer; its own stay allowed (VPC to VPC)", async () => {
  for (const ipAddress of [other.externalIps[0], other.externalIps[1]]) {
    const res = await t.post('/api/v1/peer-gateways', { name: 'p', ipAddress });
    expect(res.status).toBe(400);
    expect(res.body.violations).toEqual([expect.objectContaining({ field: 'ipAddress', rule: 'not_platform_address' })]);
  }
  expect((await t.ok(t.get('/api/v1/peer-gateways'))).total).toBe(0);
  await t.ok(t.post('/api/v1/peer-gateways', { name: 'my-other-vpc', ipAddress: w.externalIps[1] }), 201);
});

it('accepts private peer addresses (a VPC elsewhere, an IDC behind a private line)', async () => {
  for (const ipAddress of ['10.20.0.5', '172.16.9.9', '192.168.100.1']) await t.ok(t.post('/api/v1/peer-gateways', { name: `p-${ipAddress}`, ipAddress }), 201);
});

it.each([
  ['0.0.0.0/0', 'not_default_route'],
  ['0.0.0.0/32', 'not_unspecified'],
  ['127.0.0.0/8', 'not_loopback'],
  ['169.254.169.254/32', 'not_link_local'],
  ['239.1.0.0/16', 'not_multicast'],
  ['255.255.255.255/32', 'not_broadcast'],
])('refuses the remote CIDR %s (%s)', async (cidr, rule) => {
  const gw = (await t.ok(t.get('/api/v1/vpn-gateways'))).items[0] ?? (await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201));
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: `site-${cidr}`, ipAddress: '203.0.113.44' }), 201);
  const res = await t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: [cidr] }));
  expect(res.status).toBe(400);
  expect(res.body.violations).toEqual([expect.objectContaining({ field: 'remoteCidrs[0]', rule })]);
});
