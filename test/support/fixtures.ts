import { TestApi } from './api';

/** Calls the API with a key and fails loudly (with the body) on an unexpected status. */
export function client(api: TestApi, key: string) {
  const auth = (r: any) => r.set('Authorization', `Bearer ${key}`);
  const expectOk = async (r: any, status: number) => {
    const res = await r;
    if (res.status !== status) throw new Error(`${res.req?.method} ${res.req?.path}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    get: (path: string) => auth(api.http().get(path)),
    post: (path: string, body?: object) => auth(api.http().post(path)).send(body ?? {}),
    put: (path: string, body?: object) => auth(api.http().put(path)).send(body ?? {}),
    patch: (path: string, body?: object) => auth(api.http().patch(path)).send(body ?? {}),
    delete: (path: string) => auth(api.http().delete(path)),
    ok: (r: any, status = 200) => expectOk(r, status),
  };
}

export interface TenantWorld {
  tenantId: string;
  key: string;
  dataCenterId: string;
  machineTypeId: string;
  vpcId: string;
  subnetIds: string[]; // 10.x.1.0/24, 10.x.2.0/24, 10.x.3.0/24
  externalIpIds: string[];
  externalIps: string[];
}

let dcCounter = 0;

/** What the fixtures' machine types cost (minor units, CNY), and what every test tenant is given. */
export const FIXTURE_PRICES = { hourly: 100, monthly: 20_000, yearly: 200_000 } as const;
export const FIXTURE_TOP_UP = 100_000_000;

/** Operator registers a tenant with a key, a data center, a VPC with three subnets and external IPs. */
export async function createTenantWorld(api: TestApi, name: string, octet = 1, externalIpCount = 3): Promise<TenantWorld> {
  const admin = client(api, api.adminKey);
  const tenant = await admin.ok(admin.post('/api/v1/tenants', { name }), 201);
  const key = await admin.ok(admin.post(`/api/v1/tenants/${tenant.id}/api-keys`, { name: 'test' }), 201);
  const dc = await admin.ok(admin.post('/api/v1/data-centers', { name: `dc-${name}-${dcCounter++}`, region: 'test' }), 201);
  const mt = await admin.ok(admin.post('/api/v1/machine-types', { name: `x86-${name}-${dcCounter++}`, architecture: 'x86_64' }), 201);
  // Billing: the machine type is priced and the tenant funded, so buying gateways just works.
  const items = Object.entries(FIXTURE_PRICES).map(([chargeType, unitPrice]) => ({ machineTypeId: mt.id, chargeType, unitPrice }));
  await admin.ok(admin.put('/api/v1/prices', { items }));
  await admin.ok(admin.post(`/api/v1/tenants/${tenant.id}/top-ups`, { amount: FIXTURE_TOP_UP, description: 'test fixture' }), 201);
  const vpc = await admin.ok(admin.post('/api/v1/vpcs', { tenantId: tenant.id, dataCenterId: dc.id, name: 'vpc', cidr: `10.${octet}.0.0/16` }), 201);
  const subnetIds: string[] = [];
  for (const n of [1, 2, 3]) {
    subnetIds.push((await admin.ok(admin.post('/api/v1/subnets', { vpcId: vpc.id, name: `s${n}`, cidr: `10.${octet}.${n}.0/24` }), 201)).id);
  }
  const externalIpIds: string[] = [];
  const externalIps: string[] = [];
  for (let i = 0; i < externalIpCount; i++) {
    const address = `198.51.100.${octet * 10 + i + 10}`;
    externalIpIds.push((await admin.ok(admin.post('/api/v1/external-ips', { tenantId: tenant.id, dataCenterId: dc.id, address }), 201)).id);
    externalIps.push(address);
  }
  return { tenantId: tenant.id, key: key.key, dataCenterId: dc.id, machineTypeId: mt.id, vpcId: vpc.id, subnetIds, externalIpIds, externalIps };
}

export function gatewayBody(w: TenantWorld, i = 0, extra: object = {}) {
  return {
    name: `gw-${i}`,
    machineTypeId: w.machineTypeId,
    vpcId: w.vpcId,
    subnetId: w.subnetIds[0],
    externalIpId: w.externalIpIds[i],
    chargeType: 'monthly',
    ...extra,
  };
}

export function tunnelBody(gatewayId: string, peerId: string, w: TenantWorld, extra: object = {}) {
  return { name: 'tnl', gatewayId, peerId, localSubnetIds: [w.subnetIds[0]], remoteCidrs: ['172.16.1.0/24'], psk: 'Sup3r.Secret-Key', ...extra };
}
