// Registers the lab's inventory in the console API (list first, create what is missing) and
// returns it with the API's ids, from which the lab names its namespaces and bridges.
import { ApiItem, LabApiClient, LabApiError, refId } from './lab-api';
import { LabInventory } from './lab-inventory';

export interface RegisterResult {
  inventory: LabInventory;
  created: string[]; // human-readable list of what was created
  // Only when the demo tenant had to be created: its API key, shown once by the API.
  newTenantApiKey?: string;
}

const byName = (name: string) => (i: ApiItem) => i.name === name;

export async function registerInventory(api: LabApiClient, desired: LabInventory): Promise<RegisterResult> {
  const inv: LabInventory = JSON.parse(JSON.stringify(desired));
  const created: string[] = [];
  const note = (what: string, r: { item: ApiItem; created: boolean }) => {
    if (r.created) created.push(`${what} ${r.item.id}`);
    return r.item;
  };

  const dc = note(
    `data center ${inv.dataCenter.name}`,
    await api.findOrCreate('data-centers', { q: inv.dataCenter.name }, byName(inv.dataCenter.name), { ...inv.dataCenter }),
  );
  inv.dataCenter.id = dc.id;
  const mt = note(
    `machine type ${inv.machineType.name}`,
    await api.findOrCreate('machine-types', { q: inv.machineType.name }, byName(inv.machineType.name), { ...inv.machineType }),
  );
  inv.machineType.id = mt.id;

  // The API seeds the demo tenant when DEMO_API_KEY is set; otherwise create it and a key.
  let newTenantApiKey: string | undefined;
  let tenant = (await api.list('tenants', { q: inv.tenantName })).items.find(byName(inv.tenantName));
  if (!tenant) {
    tenant = await api.create('tenants', { name: inv.tenantName });
    created.push(`tenant ${inv.tenantName} ${tenant.id}`);
    const key = await api.create(`tenants/${tenant.id}/api-keys`, { name: 'lab' });
    newTenantApiKey = typeof key.key === 'string' ? key.key : undefined;
  }
  const tenantId = tenant.id;
  inv.tenantId = tenantId;

  for (const vpc of inv.vpcs) {
    const v = note(
      `VPC ${vpc.name}`,
      await api.findOrCreate('vpcs', { q: vpc.name, tenantId }, (i) => i.name === vpc.name && (refId(i, 'tenant') ?? tenantId) === tenantId, {
        tenantId,
        dataCenterId: dc.id,
        name: vpc.name,
        cidr: vpc.cidr,
      }),
    );
    if (typeof v.cidr === 'string' && v.cidr !== vpc.cidr) {
      throw new Error(`VPC ${vpc.name} exists with CIDR ${v.cidr}, the lab expects ${vpc.cidr}: rename or delete it`);
    }
    vpc.id = v.id;
    for (const subnet of vpc.subnets) {
      const s = note(
        `subnet ${subnet.name}`,
        await api.findOrCreate('subnets', { q: subnet.name, tenantId }, (i) => i.name === subnet.name && refId(i, 'vpc') === v.id, {
          vpcId: v.id,
          name: subnet.name,
          cidr: subnet.cidr,
        }),
      );
      subnet.id = s.id;
      for (const instance of subnet.instances) {
        const i = note(
          `instance ${instance.name}`,
          await api.findOrCreate('instances', { q: instance.name, tenantId }, (x) => x.name === instance.name && refId(x, 'subnet') === s.id, {
            subnetId: s.id,
            name: instance.name,
            privateIp: instance.privateIp,
          }),
        );
        instance.id = i.id;
      }
    }
  }

  await registerExternalIps(api, inv, tenantId, dc.id, created);
  await fundDemo(api, mt.id, tenantId, created);
  return { inventory: inv, created, newTenantApiKey };
}

/** What the lab's machine type costs (minor units, in the API's billing currency). */
export const LAB_PRICES: Record<string, number> = { hourly: 100, monthly: 20_000, yearly: 200_000 };
/** The demo tenant is topped up to this balance whenever it has less than half of it. */
export const LAB_BALANCE = 100_000_000;

// Billing: the demo can buy gateways. Prices the lab machine type where it has no price (an
// operator's own prices are kept) and tops the demo tenant up when it runs low.
async function fundDemo(api: LabApiClient, machineTypeId: string, tenantId: string, created: string[]): Promise<void> {
  const listed = await api.get(`prices?machineTypeId=${encodeURIComponent(machineTypeId)}`);
  const priced = new Set(
    ((listed.items as { chargeType?: string; machineTypeId?: string }[] | undefined) ?? [])
      .filter((p) => p.machineTypeId === machineTypeId)
      .map((p) => p.chargeType),
  );
  const missing = Object.entries(LAB_PRICES).filter(([chargeType]) => !priced.has(chargeType));
  if (missing.length) {
    await api.put('prices', { items: missing.map(([chargeType, unitPrice]) => ({ machineTypeId, chargeType, unitPrice })) });
    created.push(`prices for ${missing.map(([c]) => c).join(', ')}`);
  }
  const balance = Number((await api.get(`tenants/${tenantId}/account`)).balance ?? 0);
  if (balance < LAB_BALANCE / 2) {
    await api.create(`tenants/${tenantId}/top-ups`, { amount: LAB_BALANCE - balance, description: 'lab demo funding' });
    created.push(`top-up of ${LAB_BALANCE - balance} for the demo tenant`);
  }
}

async function registerExternalIps(api: LabApiClient, inv: LabInventory, tenantId: string, dataCenterId: string, created: string[]) {
  const address = (i: ApiItem) => (typeof i.address === 'string' ? i.address : '');
  const prefix = commonPrefix(inv.externalIps);
  const listed = await api.list('external-ips', { q: prefix || undefined, tenantId });
  const known = new Set(listed.items.map(address));
  const complete = listed.total <= listed.items.length;
  for (const ip of inv.externalIps) {
    if (known.has(ip)) continue;
    // The first page may not hold everything: ask for this address before creating it.
    if (!complete && (await api.list('external-ips', { q: ip, tenantId })).items.some((i) => address(i) === ip)) continue;
    try {
      await api.create('external-ips', { tenantId, dataCenterId, address: ip });
      created.push(`external IP ${ip}`);
    } catch (e) {
      // 409: registered meanwhile (or by another tenant, which the API reports the same way).
      if (!(e instanceof LabApiError && e.status === 409)) throw e;
    }
  }
}

function commonPrefix(values: string[]): string {
  if (!values.length) return '';
  let p = values[0];
  for (const v of values) while (!v.startsWith(p)) p = p.slice(0, -1);
  return p;
}
