// POST /vpn-tunnels/{id}/check-remote-config: the tunnel's own downloads check clean, one changed
// line is reported with its line number and the fix, the PSK is compared but never echoed, a text
// in no known format is a 400 naming the field, and another tenant's tunnel is a 404.
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, tunnelBody } from '../support/fixtures';

const PSK = 'Check.Remote-7Qx';
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

it('checks a pasted configuration against the tunnel, line by line, without echoing the PSK', async () => {
  const w = await createTenantWorld(api, 'checker');
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'office', ipAddress: '203.0.113.40' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { psk: PSK })), 201);
  const check = (body: object) => t.post(`/api/v1/vpn-tunnels/${tunnel.id}/check-remote-config`, body);

  for (const vendor of ['strongswan-ipsec', 'strongswan-swanctl', 'libreswan', 'cisco-ios', 'huawei']) {
    const download = await t.get(`/api/v1/vpn-tunnels/${tunnel.id}/config?vendor=${vendor}`);
    expect(download.status).toBe(200);
    const res = await check({ config: download.text });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ format: vendor, detected: true, findings: [] });
    expect(JSON.stringify(res.body)).not.toContain(PSK);
  }

  // The Cisco file with the peer's DH group changed and another key.
  const cisco = (await t.get(`/api/v1/vpn-tunnels/${tunnel.id}/config?vendor=cisco-ios`)).text as string;
  const edited = cisco.replace(/^ group 2$/m, ' group 14').replace(`pre-shared-key ${PSK}`, 'pre-shared-key Not.The-Key-1');
  const line = edited.split('\n').indexOf(' group 14') + 1;
  const res = await check({ config: edited, format: 'cisco-ios' });
  expect(res.status).toBe(200);
  expect(res.body.findings).toEqual([
    { field: 'dhGroup', label: 'IKE DH group', yours: '14', expected: '2', lines: [line], fix: 'replace: group 2' },
    expect.objectContaining({ field: 'psk', yours: null, expected: null }),
  ]);
  expect(JSON.stringify(res.body)).not.toContain(PSK);
  expect(JSON.stringify(res.body)).not.toContain('Not.The-Key-1');

  // Not a configuration we read: a 400 naming the field, never echoing the text.
  const unreadable = await check({ config: `hostname r1\nsecret ${PSK}\n` });
  expect(unreadable.status).toBe(400);
  expect(unreadable.body.violations).toEqual([expect.objectContaining({ field: 'config', rule: 'format_not_recognised' })]);
  expect(JSON.stringify(unreadable.body)).not.toContain(PSK);
  const tooLong = await check({ config: `${PSK}${'x'.repeat(64_001)}` });
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.violations[0]).toMatchObject({ field: 'config' });
  expect(JSON.stringify(tooLong.body)).not.toContain(PSK);
  expect((await check({ config: cisco, format: 'juniper' })).body.violations[0]).toMatchObject({ field: 'format' });
  expect((await check({})).status).toBe(400);

  // Another tenant's tunnel does not exist for this one.
  const other = await createTenantWorld(api, 'other-checker', 2);
  const res404 = await client(api, other.key).post(`/api/v1/vpn-tunnels/${tunnel.id}/check-remote-config`, { config: cisco });
  expect(res404.status).toBe(404);
});
