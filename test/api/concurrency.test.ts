// Limits hold under concurrency: creation is transactional (row locks + a unique pair index).
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let t: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'race', 1, 5);
  t = client(api, w.key);
});
afterAll(() => api?.close());

it('30 parallel creates on one gateway leave exactly 20 tunnels and 10 clear errors', async () => {
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peers = await Promise.all([0, 1].map((i) => t.ok(t.post('/api/v1/peer-gateways', { name: `p${i}`, ipAddress: `203.0.113.${i + 1}` }), 201)));
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      t.post(
        '/api/v1/vpn-tunnels',
        tunnelBody(gw.id, peers[i % 2].id, w, { name: `t${i}`, remoteCidrs: [`172.16.${i}.0/24`], ikePolicy: { remoteId: `site${i}.example.com` } }),
      ),
    ),
  );
  const created = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status !== 201);
  expect(created).toHaveLength(20);
  expect(refused).toHaveLength(10);
  for (const r of refused) {
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'tunnel_limit', violations: [{ field: 'gatewayId', rule: 'max_20_tunnels_per_gateway' }] });
  }
  expect((await t.ok(t.get(`/api/v1/vpn-gateways/${gw.id}`))).tunnelCount).toBe(20);
  expect((await t.ok(t.get(`/api/v1/vpn-tunnels?gatewayId=${gw.id}`))).total).toBe(20);
  // Each winner's answer (built from its own insert, not read back) is its tunnel as a read shows it, amid 29 other creates.
  for (const r of created) {
    const { routePush: _progress, ...detail } = await t.ok(t.get(`/api/v1/vpn-tunnels/${r.body.id}`));
    expect(r.body).toEqual(detail);
  }
});

it('30 parallel creates through one peer (spread over gateways) leave exactly 20', async () => {
  const gws: any[] = [];
  for (const i of [1, 2]) gws.push(await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, i, { subnetId: w.subnetIds[1] })), 201));
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'shared', ipAddress: '203.0.113.99' }), 201);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      t.post(
        '/api/v1/vpn-tunnels',
        tunnelBody(gws[i % 2].id, peer.id, w, {
          name: `u${i}`,
          localSubnetIds: [w.subnetIds[1]],
          remoteCidrs: [`172.17.${i}.0/24`],
          ikePolicy: { remoteId: `office${i}.example.com` },
        }),
      ),
    ),
  );
  expect(results.filter((r) => r.status === 201)).toHaveLength(20);
  const refused = results.filter((r) => r.status !== 201);
  expect(refused).toHaveLength(10);
  for (const r of refused) expect(r.body.violations[0]).toMatchObject({ field: 'peerId', rule: 'max_20_tunnels_per_peer' });
  expect((await t.ok(t.get(`/api/v1/peer-gateways/${peer.id}`))).tunnelCount).toBe(20);
});

it('parallel creates of the same (local, remote) pair in one VPC, over four gateways: exactly one wins, every loser names it', async () => {
  // Four gateways of one VPC: their creates hold different gateway locks, so the pair index itself decides.
  const admin = client(api, api.adminKey);
  const eips = [w.externalIpIds[3]];
  for (let i = 0; i < 3; i++) {
    eips.push(
      (await admin.ok(admin.post('/api/v1/external-ips', { tenantId: w.tenantId, dataCenterId: w.dataCenterId, address: `198.51.100.${220 + i}` }), 201)).id,
    );
  }
  const gws: any[] = [];
  for (const [i, eip] of eips.entries()) {
    gws.push(await t.ok(t.post('/api/v1/vpn-gateways', { ...gatewayBody(w, 3, { subnetId: w.subnetIds[2] }), name: `pair-gw${i}`, externalIpId: eip }), 201));
  }
  const peers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => t.ok(t.post('/api/v1/peer-gateways', { name: `q${i}`, ipAddress: `203.0.113.${100 + i}` }), 201)),
  );
  const results = await Promise.all(
    peers.map((p, i) =>
      t.post(
        '/api/v1/vpn-tunnels',
        tunnelBody(gws[i % 4].id, p.id, w, { name: `dup${i}`, localSubnetIds: [w.subnetIds[2]], remoteCidrs: ['192.168.50.0/24'] }),
      ),
    ),
  );
  const winners = results.filter((r) => r.status === 201);
  expect(winners).toHaveLength(1);
  for (const r of results.filter((r) => r.status !== 201)) {
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('pair_in_use');
    // A loser that met the winner's insert in flight names the holder too (it once said only "another tunnel").
    expect(r.body.violations[0].message).toContain(`already used by tunnel ${winners[0].body.id}`);
  }
  const counts = await Promise.all(gws.map(async (g) => (await t.ok(t.get(`/api/v1/vpn-gateways/${g.id}`))).tunnelCount));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
});

it('parallel gateway purchases of one external IP: exactly one binds it', async () => {
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) => t.post('/api/v1/vpn-gateways', { ...gatewayBody(w, 0), name: `g${i}`, externalIpId: w.externalIpIds[4] })),
  );
  expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  for (const r of results.filter((r) => r.status !== 201)) expect(r.body.violations[0]).toMatchObject({ field: 'externalIpId', rule: 'external_ip_unbound' });
});

it('parallel gateway purchases in one subnet get distinct private addresses', async () => {
  const admin = client(api, api.adminKey);
  const ips = [];
  for (let i = 0; i < 4; i++) {
    ips.push(
      (await admin.ok(admin.post('/api/v1/external-ips', { tenantId: w.tenantId, dataCenterId: w.dataCenterId, address: `198.51.100.${200 + i}` }), 201)).id,
    );
  }
  const results = await Promise.all(
    ips.map((eip, i) => t.post('/api/v1/vpn-gateways', { ...gatewayBody(w, 0), name: `par${i}`, subnetId: w.subnetIds[2], externalIpId: eip })),
  );
  expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  expect(new Set(results.map((r) => r.body.privateIp)).size).toBe(4);
});
