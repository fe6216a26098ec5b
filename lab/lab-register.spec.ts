import { LabApiClient } from './lab-api';
import { demoInventory } from './lab-inventory';
import { registerInventory } from './lab-register';

// An in-memory API honouring the contract the lab codes against.
function fakeApi(seedDemoTenant: boolean) {
  const store: Record<string, Record<string, unknown>[]> = {};
  let n = 0;
  const calls: string[] = [];
  const prefixes: Record<string, string> = {
    'data-centers': 'dc', 'machine-types': 'mt', tenants: 'tenant', vpcs: 'vpc', subnets: 'subnet', instances: 'inst', 'external-ips': 'eip',
  };
  if (seedDemoTenant) store.tenants = [{ id: 'tenant-00000001', name: 'demo' }];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    const u = new URL(url);
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer admin-secret');
    const parts = u.pathname.replace('/api/v1/', '').split('/');
    calls.push(`${init.method} ${parts.join('/')}`);
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
  return { api: new LabApiClient({ baseUrl: 'http://api.test/', adminKey: 'admin-secret', fetchImpl }), store, calls };
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
    expect(calls.filter((c) => c.startsWith('POST'))).toEqual([]);
    expect(second.inventory).toEqual(first.inventory);
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
