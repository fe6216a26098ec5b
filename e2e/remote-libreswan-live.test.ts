// Issue 16, done-means 2: libreswan negotiates with the platform live, not only parsed. A lab site
// runs libreswan's pluto (lab/lab-site-libreswan.ts) with the tunnel's `?vendor=libreswan` download
// (DH 14: Debian's libreswan has no modp1024). The platform's charon establishes the IKE SA with
// the proposal the file asks for and pluto chooses the file's ESP proposal for the CHILD_SA.
// The limit of this machine, asserted rather than hidden: the kernel has no ESP, so pluto's
// attempt to install its SAs is refused ("Protocol not supported") and it answers
// TS_UNACCEPTABLE; the CHILD_SA is never installed and no traffic flows.
import { readFileSync } from 'fs';
import { join } from 'path';
import { uniqueLabPrefix } from './support/lab-fixtures';
import { Product } from './support/product';
import { withVici } from './support/vici';

const product = new Product({ labPrefix: uniqueLabPrefix('ll') });
const SITE = { name: 'lsw', publicIp: '203.0.113.84', subnet: '172.16.84.0/24' };

beforeAll(() => product.start(), 150_000);
afterAll(() => product.stop(), 60_000);

it('pluto, configured from the libreswan download, negotiates the IKE SA and chooses the CHILD_SA proposal', async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const eip = (await product.ok('GET', '/api/v1/external-ips?limit=100')).items.find((e: any) => !e.boundTo);
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'lsw-gw', machineTypeId: inv.machineType.id, vpcId: vpc.id, subnetId: vpc.subnets[0].id, externalIpId: eip.id, chargeType: 'hourly',
  });
  await product.waitForGateway(gw.id);
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'libreswan-site', ipAddress: SITE.publicIp });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-libreswan', gatewayId: gw.id, peerId: peer.id, localSubnetIds: [vpc.subnets[0].id], remoteCidrs: [SITE.subnet], psk: 'Libreswan.Live-14',
    ikePolicy: { version: 'v2', encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14 },
    ipsecPolicy: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha1', pfsGroup: 14 },
  });

  // The file as its administrator would install it: the conn, and the secrets line uncommented.
  const download = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?vendor=libreswan`);
  expect(download.status).toBe(200);
  const text = download.text as string;
  expect(text).not.toMatch(/WARNING: a stock libreswan cannot negotiate/);
  const secret = text.split('\n').find((l) => /^# \S+ \S+ : PSK /.test(l));
  expect(secret).toBeDefined();
  const site = await product.lab.addSite({ ...SITE, kind: 'libreswan', conf: `config setup\n\n${text}`, secrets: `${secret!.slice(2)}\n` });

  // The platform side: an IKE SA established with the file's proposal.
  let ike: any;
  await product.waitFor(async () => {
    const sas = await withVici(product.viciSocket(gw.id), (c) => c.listSas()).catch(() => []);
    ike = sas.find((s) => s.sa.state === 'ESTABLISHED');
    return !!ike;
  }, 60_000, 'an ESTABLISHED IKE SA on the platform gateway');
  expect(ike.sa).toMatchObject({ version: '2', 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA2_256_128', 'prf-alg': 'PRF_HMAC_SHA2_256', 'dh-group': 'MODP_2048', 'remote-host': SITE.publicIp });

  // pluto's side: it authenticated us, chose the file's ESP proposal, and the kernel refused the SA.
  const plutoLog = join(site.dir, 'pluto.log');
  await product.waitFor(async () => /chosen from remote proposals 1:ESP:ENCR=AES_CBC_256;INTEG=HMAC_SHA1_96/.test(readFileSync(plutoLog, 'utf8')), 30_000, 'pluto to choose the ESP proposal');
  const log = readFileSync(plutoLog, 'utf8');
  expect(log).toMatch(/established IKE SA; authenticated peer using authby=secret/);
  expect(log).toMatch(/netlink response for Add SA esp\.\S+: Protocol not supported/);
  // ...so the platform never reports this tunnel connected here.
  expect((await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).connectionState).not.toBe('connected');
});
