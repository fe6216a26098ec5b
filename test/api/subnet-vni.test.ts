// A subnet's VNI (the VXLAN segment the production network driver joins): operators set it at
// creation or later; out of range, not an integer, or already used -> a 4xx naming `vni` and the
// rule, nothing changed; tenants cannot set it; it cannot change under a placed gateway.
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'vni', 1);
  admin = client(api, api.adminKey);
});
afterAll(() => api?.close());

const vniOf = async (subnetId: string) =>
  (await admin.ok(admin.get(`/api/v1/subnets?vpcId=${w.vpcId}&limit=100`))).items.find((s: any) => s.id === subnetId).vni;

it('is null until set; operators set it, read it back, and clear it', async () => {
  expect(await vniOf(w.subnetIds[1])).toBeNull();
  const set = await admin.ok(admin.patch(`/api/v1/subnets/${w.subnetIds[1]}`, { vni: 16_777_215 }));
  expect(set).toMatchObject({ id: w.subnetIds[1], vni: 16_777_215 });
  expect(await vniOf(w.subnetIds[1])).toBe(16_777_215);
  await admin.ok(admin.patch(`/api/v1/subnets/${w.subnetIds[1]}`, { vni: null }));
  expect(await vniOf(w.subnetIds[1])).toBeNull();
});

it('is set when the subnet is created', async () => {
  const s = await admin.ok(admin.post('/api/v1/subnets', { vpcId: w.vpcId, name: 's9', cidr: '10.1.9.0/24', vni: 1 }), 201);
  expect(s.vni).toBe(1);
});

it.each([[0], [16_777_216], [1.5], ['7'], [undefined]])('refuses vni %p with 400 naming the field and the rule, changing nothing', async (vni) => {
  await admin.ok(admin.patch(`/api/v1/subnets/${w.subnetIds[2]}`, { vni: 4242 }));
  const res = await admin.patch(`/api/v1/subnets/${w.subnetIds[2]}`, vni === undefined ? {} : { vni });
  expect(res.status).toBe(400);
  expect(res.body.violations).toEqual([expect.objectContaining({ field: 'vni', rule: 'vni_range', message: 'vni must be an integer from 1 to 16777215' })]);
  expect(await vniOf(w.subnetIds[2])).toBe(4242);
  const created = await admin.post('/api/v1/subnets', { vpcId: w.vpcId, name: 'bad', cidr: '10.1.20.0/24', ...(vni === undefined ? { vni: -1 } : { vni }) });
  expect(created.status).toBe(400);
  expect(created.body.violations).toEqual([expect.objectContaining({ field: 'vni', rule: 'vni_range' })]);
});

it('refuses a VNI another subnet uses (409, unique)', async () => {
  await admin.ok(admin.patch(`/api/v1/subnets/${w.subnetIds[1]}`, { vni: 777 }));
  const res = await admin.patch(`/api/v1/subnets/${w.subnetIds[2]}`, { vni: 777 });
  expect(res.status).toBe(409);
  expect(res.body.violations).toEqual([expect.objectContaining({ field: 'vni', rule: 'unique', value: 777 })]);
  const created = await admin.post('/api/v1/subnets', { vpcId: w.vpcId, name: 'dup', cidr: '10.1.21.0/24', vni: 777 });
  expect(created.status).toBe(409);
});

it('answers 404 for an unknown subnet and 403 to a tenant', async () => {
  expect((await admin.patch('/api/v1/subnets/subnet-nothere', { vni: 5 })).status).toBe(404);
  const tenant = client(api, w.key);
  expect((await tenant.patch(`/api/v1/subnets/${w.subnetIds[1]}`, { vni: 5 })).status).toBe(403);
});

it('cannot change under a placed VPN gateway (409 naming vni)', async () => {
  await admin.ok(admin.patch(`/api/v1/subnets/${w.subnetIds[0]}`, { vni: 100 }));
  const tenant = client(api, w.key);
  await tenant.ok(tenant.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201);
  const res = await admin.patch(`/api/v1/subnets/${w.subnetIds[0]}`, { vni: 101 });
  expect(res.status).toBe(409);
  expect(res.body.violations).toEqual([expect.objectContaining({ field: 'vni', rule: 'no_gateways_in_subnet' })]);
  expect(await vniOf(w.subnetIds[0])).toBe(100);
});
