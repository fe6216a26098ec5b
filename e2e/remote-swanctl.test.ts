// Issue 6 (remote-device configurations): the swanctl.conf export, end to end. A tunnel is created
// through the HTTP API, its `vendor=strongswan-swanctl` file is downloaded and loaded, unedited,
// into a lab site running charon + `swanctl --load-all`; the tunnel connects and a VPC instance
// pings the site's host through it. Also the vendor list and the endpoint's refusals.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Product } from './support/product';
import { tempDir, uniqueLabPrefix } from './support/lab-fixtures';

const product = new Product({ labPrefix: uniqueLabPrefix('vs') });
const SITE_IP = '203.0.113.31';
const SITE_SUBNET = '172.16.31.0/24';
const SITE_HOST = '172.16.31.10';
// '#' and '.' inside the key: the swanctl.conf secret must be quoted correctly to load.
const PSK = 'vs#Swanctl.9-key';

beforeAll(() => product.start(), 120_000);
afterAll(() => product.stop(), 60_000);

async function download(tunnelId: string, query: string): Promise<{ status: number; text: string; disposition: string | null }> {
  const res = await fetch(`${product.baseUrl}/api/v1/vpn-tunnels/${tunnelId}/config?${query}`, { headers: { Authorization: `Bearer ${product.tenantKey}` } });
  return { status: res.status, text: await res.text(), disposition: res.headers.get('content-disposition') };
}

it('swanctl export: loaded into a charon/swanctl site, the tunnel connects and carries traffic', async () => {
  const vendors = await product.ok('GET', '/api/v1/remote-config/vendors');
  expect(vendors.items.map((v: any) => v.id)).toEqual(['strongswan-ipsec', 'strongswan-swanctl', 'libreswan', 'cisco-ios', 'huawei']);
  expect(vendors.items.find((v: any) => v.default).id).toBe('strongswan-ipsec');

  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const gw = await product.createGateway('vs-gw');
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'swanctl-site', ipAddress: SITE_IP });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-swanctl-site',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [vpc.subnets[0].id],
    remoteCidrs: [SITE_SUBNET],
    psk: PSK,
    ikePolicy: { dhGroup: 14, encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256' },
    ipsecPolicy: { pfsGroup: 14, encryptionAlgorithm: 'aes256' },
  });

  // Bad requests name the field and the allowed values, and change nothing.
  const unknown = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?vendor=juniper`);
  expect(unknown.status).toBe(400);
  expect(unknown.body.violations[0].field).toBe('vendor');
  expect(unknown.body.violations[0].message).toContain('strongswan-swanctl');
  const sideless = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?vendor=cisco-ios&side=platform`);
  expect(sideless.status).toBe(400);
  expect(sideless.body.violations[0]).toMatchObject({ field: 'side', rule: 'side_only_for_strongswan_ipsec' });

  // Every vendor downloads, with its own file name, from the remote device's point of view.
  for (const v of vendors.items) {
    const d = await download(tunnel.id, `vendor=${v.id}`);
    expect(d.status).toBe(200);
    expect(d.disposition).toBe(`attachment; filename="${v.fileNamePattern.replace('{tunnelId}', tunnel.id).replace('{side}', 'remote')}"`);
    expect(d.text).toContain(gw.externalIp.address);
    expect(d.text).toContain(PSK);
  }

  const file = await download(tunnel.id, 'vendor=strongswan-swanctl');
  expect(file.text).toContain(`local_addrs = ${SITE_IP}`);
  expect(file.text).toContain(`remote_addrs = ${gw.externalIp.address}`);
  expect(file.text).toContain('proposals = aes256-sha256-modp2048');
  await product.lab.addSite({ name: 'swanctl-a', publicIp: SITE_IP, subnet: SITE_SUBNET, kind: 'swanctl', conf: file.text });

  const connected = await product.waitForTunnel(tunnel.id, ['connected'], 60_000);
  expect(connected.resourceState).toBe('running');
  // The site's own view: swanctl lists an established IKE SA and an installed child.
  const sas = await product.siteExec('swanctl-a', ['swanctl', '--list-sas'], { router: true });
  expect(sas.stdout).toMatch(/ipsvpn_\S+: #\d+, ESTABLISHED, IKEv2/);
  expect(sas.stdout).toMatch(/INSTALLED, TUNNEL/);

  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
}, 240_000);

it('every swanctl golden file loads into the real charon (connections and secrets)', async () => {
  const golden = join(__dirname, '..', 'src', 'remote-config', '__golden__');
  const files = readdirSync(golden).filter((f) => f.endsWith('.swanctl.conf'));
  expect(files.length).toBeGreaterThanOrEqual(10);
  const dir = tempDir('vs-golden');
  try {
    for (const f of files) {
      // Not started: only whether charon accepts every setting, the children and the secret.
      const text = readFileSync(join(golden, f), 'utf8').replace(/start_action = start/g, 'start_action = none');
      const file = join(dir, f);
      writeFileSync(file, text, { mode: 0o600 });
      const r = await product.siteExec('swanctl-a', ['swanctl', '--load-all', '--noprompt', '--file', file], { router: true, check: false });
      expect({ f, out: r.stdout }).toEqual({
        f,
        out: expect.stringMatching(/loaded connection 'ipsvpn_vpntnl-k3j9x2ab'[\s\S]*successfully loaded 1 connections, [01] unloaded/),
      });
      expect(r.stdout).toContain("loaded ike secret 'ike-ipsvpn_vpntnl-k3j9x2ab'");
      expect(r.stdout).not.toMatch(/failed|invalid/i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
