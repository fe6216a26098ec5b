// Issue 3 scenarios d, e, f: failure states with their reasons and the 12 s retry that heals them
// without touching the platform, and a 0.0.0.0 peer that only the remote can bring up.
import { readFileSync, writeFileSync } from 'fs';
import { Product } from './support/product';
import { uniqueLabPrefix } from './support/lab-fixtures';

const product = new Product({ labPrefix: uniqueLabPrefix('ec') });
let gw: any;
let subnetA1: any;

beforeAll(async () => {
  await product.start();
  gw = await product.createGateway('failures-gw');
  subnetA1 = product.inventory.vpcs[0].subnets[0];
}, 120_000);
afterAll(() => product.stop(), 60_000);

async function tunnel(name: string, peerIp: string, remote: string, extra: object = {}) {
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name, ipAddress: peerIp });
  return product.ok('POST', '/api/v1/vpn-tunnels', {
    name,
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [subnetA1.id],
    remoteCidrs: [remote],
    psk: `right-${name}.Key`,
    ...extra,
  });
}

it('d. a PSK mismatch ends in phase1_failed with the PSK/id reason after 3 tries; fixing the remote heals it by the 12 s retry', async () => {
  const t = await tunnel('badpsk', '203.0.113.41', '172.16.41.0/24');
  let rightSecrets = '';
  const site = await product.addSiteFromDownload(t.id, { name: 'badpsk', publicIp: '203.0.113.41', subnet: '172.16.41.0/24' }, (b) => {
    rightSecrets = b.secrets;
    return { conf: b.conf, secrets: b.secrets.replace(/PSK .*$/m, 'PSK "wrong-key"') };
  });
  const failed = await product.waitForTunnel(t.id, ['phase1_failed'], 90_000);
  // Our initiate only reads the site's AUTHENTICATION_FAILED, which cannot say key or id: the
  // combined code. When the reason comes from the site's own try (we are the responder), charon's
  // "MAC mismatched" says the key: psk_mismatch (issue 16). Never an id mismatch here.
  const PSK_CODES = ['psk_mismatch_or_id_mismatch', 'psk_mismatch'];
  expect(PSK_CODES).toContain(failed.failure.code);
  const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs?limit=50`);
  const attempts = logs.items.filter((e: any) => e.kind === 'attempt' && e.result === 'failure');
  expect(attempts.length).toBeGreaterThanOrEqual(3);
  expect(attempts[0].lines.join('\n')).toMatch(/AUTHENTICATION_FAILED|MAC mismatched|no shared key/);
  expect(attempts.slice(0, 3).every((e: any) => PSK_CODES.includes(e.reasonCode) && e.phase === 1 && e.message)).toBe(true);
  // The log pages newest first: two pages of two are disjoint, in order, and add up to the total.
  const page1 = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs?offset=0&limit=2`);
  const page2 = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs?offset=2&limit=2`);
  expect(page1).toMatchObject({ offset: 0, limit: 2 });
  expect(page2).toMatchObject({ offset: 2, limit: 2 });
  expect(page1.total).toBeGreaterThanOrEqual(logs.total);
  const ids = [...page1.items, ...page2.items].map((e: any) => Number(e.id));
  expect(ids).toHaveLength(4);
  expect([...ids].sort((x, y) => y - x)).toEqual(ids);
  expect(new Set(ids).size).toBe(4);
  const beyond = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs?offset=${page1.total + 10}&limit=5`);
  expect(beyond.items).toEqual([]);
  expect((await product.request('GET', `/api/v1/vpn-tunnels/${t.id}/logs?limit=0`)).status).toBe(400);
  expect((await product.request('GET', `/api/v1/vpn-tunnels/${t.id}/logs?limit=201`)).status).toBe(400);

  // The remote administrator fixes the key; the platform is not touched.
  expect(readFileSync(site.secretsFile, 'utf8')).toContain('wrong-key');
  writeFileSync(site.secretsFile, rightSecrets);
  await product.lab.reloadSite('badpsk');
  const fixedAt = Date.now();
  const healed = await product.waitForTunnel(t.id, ['connected'], 40_000);
  expect(healed.failure).toBeNull();
  expect(Date.now() - fixedAt).toBeLessThan(30_000);
});

it("d. a remote that identifies itself with another id than the tunnel's remote id: remote_id_mismatch, told apart from a wrong PSK (issue 16)", async () => {
  const t = await tunnel('badid', '203.0.113.44', '172.16.44.0/24');
  expect(t.ikePolicy.remoteId).toBe('203.0.113.44');
  const site = await product.addSiteFromDownload(t.id, { name: 'badid', publicIp: '203.0.113.44', subnet: '172.16.44.0/24' }, (b) => ({
    // The remote admin typed another identity (and keyed the secret to it); the key itself is right.
    // The conn's own line: the header's NAT hint also says "keep leftid=<id>" and must not be the one edited.
    conf: b.conf.replace(/^(\s+)leftid=203\.0\.113\.44$/m, '$1leftid=wrong-site.example.com'),
    secrets: b.secrets.replace(/^203\.0\.113\.44 /m, 'wrong-site.example.com '),
  }));
  expect(site.conf).toMatch(/^\s+leftid=wrong-site\.example\.com$/m);
  expect(site.secrets).toMatch(/^wrong-site\.example\.com /m);
  const failed = await product.waitForTunnel(t.id, ['phase1_failed'], 90_000);
  expect(failed.failure.code).toBe('remote_id_mismatch');
  expect(failed.failure.message).toContain('wrong-site.example.com');
  const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs?limit=50`);
  const attempts = logs.items.filter((e: any) => e.kind === 'attempt' && e.result === 'failure');
  expect(attempts.some((e: any) => e.reasonCode === 'remote_id_mismatch')).toBe(true);
  // Never taken for a key problem: that is test d's code.
  expect(attempts.some((e: any) => e.reasonCode === 'psk_mismatch')).toBe(false);
  await product.ok('DELETE', `/api/v1/vpn-tunnels/${t.id}`);
  await product.lab.removeSite('badid');
});

it('e. wrong mirrored subnets on the remote end in phase2_failed with the traffic-selector reason', async () => {
  const t = await tunnel('badts', '203.0.113.42', '172.16.42.0/24');
  await product.addSiteFromDownload(t.id, { name: 'badts', publicIp: '203.0.113.42', subnet: '172.16.42.0/24' }, (b) => ({
    // The remote admin forgot to swap: it announces a subnet the platform does not expect.
    conf: b.conf.replace('leftsubnet=172.16.42.0/24', 'leftsubnet=172.16.99.0/24'),
    secrets: b.secrets,
  }));
  const failed = await product.waitForTunnel(t.id, ['phase2_failed'], 90_000);
  expect(failed.failure.code).toBe('traffic_selectors_mismatch');
  expect(failed.failure.message).toContain('local subnets 172.16.42.0/24');
  expect(failed.failure.message).toContain(`remote subnets ${subnetA1.cidr}`);
});

it('f. peer 0.0.0.0: the platform waits, the remote initiates, the tunnel connects', async () => {
  const t = await tunnel('nat', '0.0.0.0', '172.16.43.0/24', { ikePolicy: { remoteId: 'office.example.com' } });
  await product.waitFor(async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`)).resourceState === 'running', 30_000, 'tunnel loaded');
  const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}/logs`);
  expect(logs.items.some((e: any) => e.kind === 'attempt')).toBe(false); // never initiated towards "any"
  expect(logs.items[0].message).toMatch(/waiting for the remote/);
  const site = await product.addSiteFromDownload(t.id, { name: 'nat', publicIp: '203.0.113.43', subnet: '172.16.43.0/24' });
  expect(site.conf).toMatch(/leftid=office\.example\.com/);
  await product.waitForTunnel(t.id, ['connected'], 60_000);
  expect(await product.waitForPing('vm-a1', '172.16.43.10')).toBe(true);
});
