// Seeds a development API with inventory and a few VPN resources for trying the console:
//   API_URL=http://127.0.0.1:8090 ADMIN_API_KEY=... DEMO_API_KEY=... node scripts/seed-dev.mjs [tunnels]
// Uses TEST-NET addresses. Safe to re-run only on a fresh database.
const API = process.env.API_URL ?? 'http://127.0.0.1:8080';
const admin = process.env.ADMIN_API_KEY;
const demo = process.env.DEMO_API_KEY;
const tunnels = Number(process.argv[2] ?? 5);

async function req(key, method, path, body) {
  const res = await fetch(`${API}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const tenant = (await req(admin, 'GET', '/tenants?q=demo')).items.find((t) => t.name === 'demo');
const dc = await req(admin, 'POST', '/data-centers', { name: 'cn-sh-1', region: 'cn-shanghai' });
const mt = await req(admin, 'POST', '/machine-types', { name: 'standard', architecture: 'x86_64' });
await req(admin, 'POST', '/machine-types', { name: 'arm', architecture: 'aarch64' });
await req(admin, 'PUT', '/prices', {
  items: [
    ['hourly', 100],
    ['monthly', 20000],
    ['yearly', 200000],
  ].map(([chargeType, unitPrice]) => ({ machineTypeId: mt.id, chargeType, unitPrice })),
});
await req(admin, 'POST', `/tenants/${tenant.id}/top-ups`, { amount: 10000000, description: 'dev seed' });
const vpc = await req(admin, 'POST', '/vpcs', { tenantId: tenant.id, dataCenterId: dc.id, name: 'vpc-prod', cidr: '10.1.0.0/16' });
const subnets = [];
for (let i = 1; i <= 3; i++) subnets.push(await req(admin, 'POST', '/subnets', { vpcId: vpc.id, name: `subnet-${i}`, cidr: `10.1.${i}.0/24` }));
const ips = [];
const gatewayCount = Math.max(2, Math.ceil(tunnels / 20));
for (let i = 0; i < gatewayCount + 4; i++)
  ips.push(await req(admin, 'POST', '/external-ips', { tenantId: tenant.id, dataCenterId: dc.id, address: `198.51.100.${10 + i}` }));
await req(admin, 'POST', '/instances', { subnetId: subnets[0].id, name: 'vm-a1', privateIp: '10.1.1.10' });

const gws = [];
gws.push(
  await req(demo, 'POST', '/vpn-gateways', {
    name: 'gw-prod',
    remark: 'to the Shanghai IDC',
    machineTypeId: mt.id,
    vpcId: vpc.id,
    subnetId: subnets[0].id,
    externalIpId: ips[0].id,
    chargeType: 'monthly',
    period: 1,
  }),
);
gws.push(
  await req(demo, 'POST', '/vpn-gateways', {
    name: 'gw-office',
    machineTypeId: mt.id,
    vpcId: vpc.id,
    subnetId: subnets[1].id,
    externalIpId: ips[1].id,
    chargeType: 'hourly',
    period: 3,
  }),
);
for (let i = 2; i < gatewayCount; i++)
  gws.push(
    await req(demo, 'POST', '/vpn-gateways', {
      name: `gw-${i}`,
      machineTypeId: mt.id,
      vpcId: vpc.id,
      subnetId: subnets[i % 2].id,
      externalIpId: ips[i].id,
      chargeType: 'hourly',
      period: 1,
    }),
  );
const peers = [];
for (let i = 0; i < Math.max(1, Math.ceil(tunnels / 20)); i++)
  peers.push(await req(demo, 'POST', '/peer-gateways', { name: `idc-${i}`, ipAddress: `203.0.113.${i + 1}` }));
await req(demo, 'POST', '/peer-gateways', { name: 'branch-nat', ipAddress: '0.0.0.0', remark: 'behind NAT' });
for (let i = 0; i < tunnels; i++) {
  const g = gws[i % gatewayCount];
  await req(demo, 'POST', '/vpn-tunnels', {
    name: `tunnel-${i}`,
    gatewayId: g.id,
    peerId: peers[Math.floor(i / 20)].id,
    localSubnetIds: [subnets[(i % gatewayCount) % 2].id],
    remoteCidrs: [`172.${16 + Math.floor(i / 250)}.${i % 250}.0/24`],
    psk: 'Sup3r-secret-key',
    ikePolicy: { localId: `gw${i}.example.com` },
  });
}
console.log(JSON.stringify({ tenant: tenant.id, vpc: vpc.id, gateways: gws.length, peers: peers.length, tunnels }));
