import { LabApiClient } from './lab-api';
import { demoInventory } from './lab-inventory';
import { LAB_BALANCE, LAB_PRICES, registerInventory } from './lab-register';

// An in-memory API honouring the contract the lab codes against.
function fakeApi(seedDemoTenant: boolean) {
  const store: Record<string, Record<string, unknown>[]> = {};
  let n = 0;
  const calls: string[] = [];
  const balances: Record<string, number> = {};
  const prefixes: Record<string, string> = {
    'data-centers': 'dc',
    'machine-types': 'mt',
    tenants: 'tenant',
    vpcs: 'vpc',
    subnets: 'subnet',
    instances: 'inst',
    'external-ips': 'eip',
  };
  if (seedDemoTenant) store.tenants = [{ id: 'tenant-00000001', name: 'demo' }];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    const u = new URL(url);
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer admin-secret');
    const parts = u.pathname.replace('/api/v1/', '').split('/');
    calls.push(`${init.method} ${parts.join('/')}`);
    // Billing: the price list, the tenant's account and its top-ups.
    if (parts[0] === 'prices') {
      if (init.method === 'PUT') (store.prices ??= []).push(...JSON.parse(String(init.body)).items);
      return new Response(JSON.stringify({ items: store.prices ?? [] }), { status: 200 });
    }
    if (parts[2] === 'account') return new Response(JSON.stringify({ tenantId: parts[1], balance: balances[parts[1]] ?? 0, currency: 'CNY' }), { status: 200 });
    if (parts[2] === 'top-ups') {
      balances[parts[1]] = (balances[parts[1]] ?? 0) + JSON.parse(String(init.body)).amount;
      return new Response(JSON.stringify({ entry: {}, account: { balance: balances[parts[1]] } }), { status: 201 });
    }
    if (init.method === 'GET') {
      const q = u.searchParams.get('q') ?? '';
      const items = (store[parts[0]] ?? []).filter((i) => JSON.stringify(i).includes(q));
      return new Response(JSON.stringify({ items, total: items.length }), { status: 200 });
    }
    const body = JSON.parse(String(init.body));
    if (parts[2] === 'api-keys') return new Response(JSON.stringify({ id: 'key-1', key: 'tenant-key' }), { status: 201 });
    const item = { id: `${prefixes[parts[0]]}-${String(++n).padStart(8, '0')}`, ...body };
    (store[parts[0]] ??= []).push(item);
    return new Response(JSON.stringify(item), { status: 201 });
  }) as unknown as typeof fetch;
  return { api: new LabApiClient({ baseUrl: 'http://api.test/', adminKey: 'admin-secret', fetchImpl }), store, calls, balances };
}

describe('registering the lab inventory', () => {
  it('creates what is missing, then nothing on a second run', async () => {
    const { api, store, calls } = fakeApi(true);
    const first = await registerInventory(api, demoInventory());
    expect(first.newTenantApiKey).toBeUndefined();
    expect(store.vpcs).toHaveLength(2);
    expect(store.subnets).toHaveLength(3);
    expect(store.instances).toHaveLength(4);
    expect(store['external-ips']).toHaveLength(40);
    expect(store.vpcs?.[0]).toMatchObject({ tenantId: 'tenant-00000001', cidr: '10.1.0.0/16' });
    expect(first.inventory.vpcs[0].id).toMatch(/^vpc-/);
    expect(first.inventory.vpcs[0].subnets[1].id).toBe((store.subnets ?? [])[1].id);

    calls.length = 0;
    const second = await registerInventory(api, demoInventory());
    expect(second.created).toEqual([]);
    expect(calls.filter((c) => c.startsWith('POST') || c.startsWith('PUT'))).toEqual([]);
    expect(second.inventory).toEqual(first.inventory);
  });

  it('prices the lab machine type where unpriced and keeps the demo tenant funded', async () => {
    const { api, store, balances } = fakeApi(true);
    store.prices = [{ machineTypeId: 'mt-00000002', chargeType: 'monthly', unitPrice: 999 }];
    const first = await registerInventory(api, demoInventory());
    const mt = first.inventory.machineType.id;
    expect(mt).toBe('mt-00000002');
    // The operator's monthly price is kept; hourly and yearly are added.
    expect(store.prices).toEqual([
      { machineTypeId: mt, chargeType: 'monthly', unitPrice: 999 },
      { machineTypeId: mt, chargeType: 'hourly', unitPrice: LAB_PRICES.hourly },
      { machineTypeId: mt, chargeType: 'yearly', unitPrice: LAB_PRICES.yearly },
    ]);
    expect(balances['tenant-00000001']).toBe(LAB_BALANCE);
    // Spent below half: topped up to the full amount again, not beyond.
    balances['tenant-00000001'] = 1000;
    const again = await registerInventory(api, demoInventory());
    expect(again.created).toEqual([`top-up of ${LAB_BALANCE - 1000} for the demo tenant`]);
    expect(balances['tenant-00000001']).toBe(LAB_BALANCE);
  });

  it('creates the demo tenant and its key when the API did not seed it', async () => {
    const { api } = fakeApi(false);
    const r = await registerInventory(api, demoInventory());
    expect(r.newTenantApiKey).toBe('tenant-key');
    expect(r.created).toContain(`tenant demo ${r.inventory.tenantId}`);
  });

  it('refuses a VPC registered with another CIDR', async () => {
    const { api, store } = fakeApi(true);
    store.vpcs = [{ id: 'vpc-00000099', name: 'demo-vpc-a', cidr: '10.9.0.0/16', tenantId: 'tenant-00000001' }];
    await expect(registerInventory(api, demoInventory())).rejects.toThrow(/exists with CIDR 10.9.0.0\/16/);
  });

  it('needs an admin key', () => {
    expect(() => new LabApiClient({ baseUrl: 'http://x', adminKey: '' })).toThrow(/admin API key/);
  });
});
