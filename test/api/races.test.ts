// Races that used to answer 500 or lose a delete (issue 14): delete against every edit, create
// against its peer's delete, parallel duplicate creates of every inventory kind, overlapping subnets.
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let t: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;
let gw: { id: string };

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'races', 1, 3);
  t = client(api, w.key);
  admin = client(api, api.adminKey);
  gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
});
afterAll(() => api?.close());

const statusOf = (r: { status: number }) => r.status;

it('a tunnel delete racing its edits is either done or refused with 409, never 500, never lost', async () => {
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'edits', ipAddress: '203.0.113.50' }), 201);
  const statuses: number[] = [];
  for (let round = 0; round < 12; round++) {
    const tunnel = await t.ok(
      t.post(
        '/api/v1/vpn-tunnels',
        tunnelBody(gw.id, peer.id, w, { name: `r${round}`, remoteCidrs: [`172.20.${round}.0/24`], ikePolicy: { remoteId: `r${round}.example.com` } }),
      ),
      201,
    );
    const path = `/api/v1/vpn-tunnels/${tunnel.id}`;
    const [del, ...edits] = await Promise.all([
      t.delete(path),
      t.put(`${path}/ike-policy`, { dhGroup: 14, psk: 'An0ther.Secret' }),
      t.put(`${path}/ipsec-policy`, { pfsGroup: 14 }),
      t.put(`${path}/subnets`, { localSubnetIds: [w.subnetIds[0]], remoteCidrs: [`172.21.${round}.0/24`] }),
      t.patch(path, { name: `renamed-${round}` }),
      t.put(`${path}/ike-policy`, { lifetimeSeconds: 3600 }),
    ]);
    statuses.push(del.status, ...edits.map(statusOf));
    expect([200, 409]).toContain(del.status);
    for (const e of edits) expect([200, 404, 409]).toContain(e.status);
    const after = await t.get(path);
    // A delete that answered 200 happened (no placed gateway here: deleted at once).
    if (del.status === 200) expect(after.status).toBe(404);
    else expect(after.status).toBe(200);
  }
  expect(statuses).not.toContain(500);
  // The gateway and peer counts stayed true through all of it.
  const left = (await t.ok(t.get(`/api/v1/vpn-tunnels?peerId=${peer.id}`))).total;
  expect((await t.ok(t.get(`/api/v1/peer-gateways/${peer.id}`))).tunnelCount).toBe(left);
});

it("a tunnel create racing its peer's delete answers 201 or 4xx; a created tunnel keeps its peer", async () => {
  for (let round = 0; round < 10; round++) {
    const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: `gone${round}`, ipAddress: `203.0.113.${120 + round}` }), 201);
    const [create, del] = await Promise.all([
      t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { name: `c${round}`, remoteCidrs: [`172.22.${round}.0/24`] })),
      t.delete(`/api/v1/peer-gateways/${peer.id}`),
    ]);
    expect([201, 400, 404, 409]).toContain(create.status);
    expect([200, 409]).toContain(del.status);
    // Exactly one of them won.
    expect(create.status === 201).toBe(del.status === 409);
    if (create.status === 201) {
      expect((await t.ok(t.get(`/api/v1/peer-gateways/${peer.id}`))).tunnelCount).toBe(1);
      await t.ok(t.delete(`/api/v1/vpn-tunnels/${create.body.id}`));
    } else {
      expect(create.body.violations[0].field).toBe('peerId');
    }
  }
});

it('parallel duplicate creates of every inventory kind: one 201, the rest 409 naming the field', async () => {
  const dc2 = await admin.ok(admin.post('/api/v1/data-centers', { name: 'dc-races-2', region: 'r' }), 201);
  const kinds: [string, () => object, string][] = [
    ['/api/v1/tenants', () => ({ name: 'dup-tenant' }), 'name'],
    ['/api/v1/data-centers', () => ({ name: 'dup-dc', region: 'r' }), 'name'],
    ['/api/v1/machine-types', () => ({ name: 'dup-mt', architecture: 'x86_64' }), 'name'],
    ['/api/v1/external-ips', () => ({ tenantId: w.tenantId, dataCenterId: dc2.id, address: '198.51.100.250' }), 'address'],
    ['/api/v1/subnets', () => ({ vpcId: w.vpcId, name: 'dup', cidr: '10.1.200.0/24' }), 'cidr'],
    ['/api/v1/instances', () => ({ subnetId: w.subnetIds[1], name: 'dup', privateIp: '10.1.2.77' }), 'privateIp'],
  ];
  for (const [path, body, field] of kinds) {
    const results = await Promise.all(Array.from({ length: 6 }, () => admin.post(path, body())));
    const statuses = results.map(statusOf);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.violations.map((v: { field: string }) => v.field)).toContain(field);
    }
  }
});

it('parallel overlapping subnets in one VPC: exactly one is created', async () => {
  const results = await Promise.all(
    ['10.1.48.0/24', '10.1.48.0/23', '10.1.48.0/22', '10.1.48.0/21'].map((cidr, i) => admin.post('/api/v1/subnets', { vpcId: w.vpcId, name: `o${i}`, cidr })),
  );
  expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  for (const r of results.filter((x) => x.status !== 201)) {
    expect(r.status).toBe(409);
    expect(r.body.violations[0]).toMatchObject({ field: 'cidr', rule: 'no_overlap_with_subnets' });
  }
  const subnets = (await admin.ok(admin.get(`/api/v1/subnets?vpcId=${w.vpcId}&limit=100`))).items.filter(
    (s: { cidr: string }) => s.cidr.startsWith('10.1.48.') || s.cidr === '10.1.48.0/21',
  );
  expect(subnets).toHaveLength(1);
});
