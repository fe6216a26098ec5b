// Tenant isolation on every resource: another tenant's resource answers 404 and is never listed,
// changed or deleted, alone or in a batch.
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let a: TenantWorld;
let b: TenantWorld;
let ca: ReturnType<typeof client>;
let cb: ReturnType<typeof client>;
const owned: Record<string, string> = {};

beforeAll(async () => {
  api = await startTestApi();
  a = await createTenantWorld(api, 'alpha', 1);
  b = await createTenantWorld(api, 'beta', 2);
  ca = client(api, a.key);
  cb = client(api, b.key);
  owned.gateway = (await ca.ok(ca.post('/api/v1/vpn-gateways', gatewayBody(a)), 201)).id;
  owned.peer = (await ca.ok(ca.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.9' }), 201)).id;
  owned.tunnel = (await ca.ok(ca.post('/api/v1/vpn-tunnels', tunnelBody(owned.gateway, owned.peer, a)), 201)).id;
});
afterAll(() => api?.close());

const resources = [
  ['vpn-gateways', 'gateway'],
  ['peer-gateways', 'peer'],
  ['vpn-tunnels', 'tunnel'],
] as const;

describe.each(resources)('%s', (path, kind) => {
  it('is invisible to another tenant: read 404, list and search without it', async () => {
    const id = owned[kind];
    const read = await cb.get(`/api/v1/${path}/${id}`);
    expect(read.status).toBe(404);
    expect(read.body.code).toBe('not_found');
    const list = await cb.ok(cb.get(`/api/v1/${path}?q=${id}`));
    expect(list.total).toBe(0);
    // The owner does see it (so the 404 above is isolation, not absence).
    expect((await ca.ok(ca.get(`/api/v1/${path}?q=${id}`))).total).toBe(1);
  });

  it('cannot be updated by another tenant', async () => {
    const res = await cb.patch(`/api/v1/${path}/${owned[kind]}`, { name: 'stolen' });
    expect(res.status).toBe(404);
    expect((await ca.ok(ca.get(`/api/v1/${path}/${owned[kind]}`))).name).not.toBe('stolen');
  });

  it('cannot be deleted by another tenant, alone or in a batch', async () => {
    expect((await cb.delete(`/api/v1/${path}/${owned[kind]}`)).status).toBe(404);
    expect((await cb.post(`/api/v1/${path}/batch-delete`, { ids: [owned[kind]] })).status).toBe(404);
    expect((await ca.get(`/api/v1/${path}/${owned[kind]}`)).status).toBe(200);
  });
});

describe('tunnel sub-resources and references', () => {
  it.each(['subnets', 'ike-policy', 'ipsec-policy'])('PUT %s of another tenant answers 404', async (sub) => {
    const body = sub === 'subnets' ? { localSubnetIds: [b.subnetIds[0]], remoteCidrs: ['172.16.9.0/24'] } : {};
    expect((await cb.put(`/api/v1/vpn-tunnels/${owned.tunnel}/${sub}`, body)).status).toBe(404);
  });

  it('the PSK of another tenant is not revealed', async () => {
    const res = await cb.get(`/api/v1/vpn-tunnels/${owned.tunnel}?includePsk=true`);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain('Sup3r');
  });

  it("cannot build on another tenant's gateway, peer, VPC, subnet or external IP", async () => {
    const peerB = (await cb.ok(cb.post('/api/v1/peer-gateways', { name: 'pb', ipAddress: '203.0.113.10' }), 201)).id;
    const t1 = await cb.post('/api/v1/vpn-tunnels', tunnelBody(owned.gateway, peerB, b));
    expect(t1.status).toBe(400);
    expect(t1.body.violations[0]).toMatchObject({ field: 'gatewayId', rule: 'exists' });
    // Its own gateway with the other tenant's peer: the peer does not exist for it, and nothing is stored.
    const gatewayB = (await cb.ok(cb.post('/api/v1/vpn-gateways', gatewayBody(b)), 201)).id;
    const t2 = await cb.post('/api/v1/vpn-tunnels', tunnelBody(gatewayB, owned.peer, b));
    expect(t2.status).toBe(400);
    expect(t2.body.violations).toEqual([expect.objectContaining({ field: 'peerId', rule: 'exists', value: owned.peer })]);
    expect((await cb.ok(cb.get(`/api/v1/vpn-gateways/${gatewayB}`))).tunnelCount).toBe(0);
    const g = await cb.post('/api/v1/vpn-gateways', { ...gatewayBody(b), vpcId: a.vpcId, subnetId: a.subnetIds[0], externalIpId: a.externalIpIds[1] });
    expect(g.status).toBe(400);
    expect(g.body.violations.map((v: any) => v.field).sort()).toEqual(['externalIpId', 'subnetId', 'vpcId']);
  });

  it('inventory lists are tenant-scoped; operators see all', async () => {
    const vpcs = await cb.ok(cb.get('/api/v1/vpcs'));
    expect(vpcs.items.map((v: any) => v.id)).toEqual([b.vpcId]);
    expect((await cb.get(`/api/v1/vpcs/${a.vpcId}`)).status).toBe(404);
    const admin = client(api, api.adminKey);
    const all = await admin.ok(admin.get('/api/v1/vpcs?limit=100'));
    expect(all.items.map((v: any) => v.id)).toEqual(expect.arrayContaining([a.vpcId, b.vpcId]));
  });
});

describe('authentication and roles', () => {
  it('401 without a key or with an unknown key', async () => {
    expect((await api.http().get('/api/v1/vpn-gateways')).status).toBe(401);
    const res = await api.http().get('/api/v1/vpn-gateways').set('Authorization', 'Bearer nope');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('a revoked key stops working at once', async () => {
    const admin = client(api, api.adminKey);
    const key = await admin.ok(admin.post(`/api/v1/tenants/${a.tenantId}/api-keys`, { name: 'temp' }), 201);
    const c = client(api, key.key);
    await c.ok(c.get('/api/v1/vpn-gateways'));
    await admin.ok(admin.delete(`/api/v1/tenants/${a.tenantId}/api-keys/${key.id}`), 204);
    expect((await c.get('/api/v1/vpn-gateways')).status).toBe(401);
  });

  it('tenants cannot register inventory or tenants (403); operators cannot act as a tenant (403)', async () => {
    expect((await ca.post('/api/v1/vpcs', { tenantId: a.tenantId, dataCenterId: a.dataCenterId, name: 'x', cidr: '10.50.0.0/16' })).status).toBe(403);
    expect((await ca.get('/api/v1/tenants')).status).toBe(403);
    const admin = client(api, api.adminKey);
    expect((await admin.get('/api/v1/vpn-tunnels')).status).toBe(403);
  });
});
