// The issue-14 reproductions, one by one: each answered 500 (or leaked) before; now a 4xx that
// names the field and changes nothing. (test/api/fuzz.test.ts covers the same ground at random.)
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let t: ReturnType<typeof client>;
let gatewayId: string;
const SECRET = 'very-secret-webhook-key-0123456789';

beforeAll(async () => {
  api = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  w = await createTenantWorld(api, 'hostile', 1);
  t = client(api, w.key);
  gatewayId = (await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201)).id;
});
afterAll(() => api?.close());

const fields = (res: { body: { violations?: { field: string }[] } }) => (res.body.violations ?? []).map((v) => v.field);

it.each([
  ['GET', '/api/v1/peer-gateways/%00', undefined, 'id'],
  ['GET', '/api/v1/vpn-tunnels?q=%00', undefined, 'q'],
  ['POST', '/api/v1/peer-gateways', { name: 'a\u0000b', ipAddress: '203.0.113.5' }, 'name'],
  ['GET', '/api/v1/vpn-tunnels?offset=1e21', undefined, 'offset'],
  ['GET', '/api/v1/vpn-gateways?offset=9223372036854775808', undefined, 'offset'],
  ['GET', '/api/v1/orders?from=2009-W53-7', undefined, 'from'],
  ['GET', '/api/v1/ledger?to=2009-123', undefined, 'to'],
])('%s %s %j: 400 naming %s', async (method, path, body, field) => {
  const req = method === 'GET' ? t.get(path) : t.post(path, body as object);
  const res = await req;
  expect(res.status).toBe(400);
  expect(fields(res)).toContain(field);
});

it('offset names its allowed range', async () => {
  const res = await t.get('/api/v1/vpn-tunnels?offset=1e21');
  expect(res.body.violations.find((v: { field: string }) => v.field === 'offset').message).toMatch(/1000000/);
});

it('range=toString, __proto__, constructor: 400 on range, not a prototype lookup', async () => {
  for (const range of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    const res = await t.get(`/api/v1/vpn-gateways/${gatewayId}/metrics?range=${range}`);
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['range']);
  }
});

it('explicit null: a name is refused, a remark is cleared, autoRenew is refused', async () => {
  await t.ok(t.patch(`/api/v1/vpn-gateways/${gatewayId}`, { remark: 'to be cleared' }));
  for (const body of [{ name: null }, { autoRenew: null }]) {
    const res = await t.patch(`/api/v1/vpn-gateways/${gatewayId}`, body);
    expect(res.status).toBe(400);
    expect(fields(res)).toContain(Object.keys(body)[0]);
  }
  expect((await t.ok(t.patch(`/api/v1/vpn-gateways/${gatewayId}`, { remark: null }))).remark).toBe('');
});

it('5,000 levels of JSON: 400 on every JSON route, and 401 first on /agent/report without a token', async () => {
  const deep = '{"name":' + '['.repeat(5000) + ']'.repeat(5000) + ',"ipAddress":"203.0.113.5"}';
  const res = await api.http().post('/api/v1/peer-gateways').set('Authorization', `Bearer ${w.key}`).set('Content-Type', 'application/json').send(deep);
  expect(res.status).toBe(400);
  expect(fields(res)[0]).toMatch(/^name/);
  const agent = await api
    .http()
    .post('/api/v1/agent/report')
    .set('Content-Type', 'application/json')
    .send('{"appliedVersion":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
  expect(agent.status).toBe(401);
  // The 100 KB body limit holds.
  const big = await api
    .http()
    .post('/api/v1/peer-gateways')
    .set('Authorization', `Bearer ${w.key}`)
    .send({ name: 'x', remark: 'y'.repeat(200_000), ipAddress: '203.0.113.5' });
  expect(big.status).toBe(413);
});

it('a webhook secret inside channels is never echoed; a 55 KB batch delete gets a small error', async () => {
  const channels = Array.from({ length: 11 }, () => ({ type: 'webhook', url: 'http://127.0.0.1:9/x', secret: SECRET }));
  const res = await t.post('/api/v1/alert-templates', {
    name: 'x',
    rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
    channels,
  });
  expect(res.status).toBe(400);
  expect(fields(res)).toContain('channels');
  expect(res.text).not.toContain(SECRET);
  const ids = Array.from({ length: 1000 }, (_, i) => `rgw-missing-${String(i).padStart(40, '0')}`);
  expect(JSON.stringify({ ids }).length).toBeGreaterThan(50_000);
  const batch = await t.post('/api/v1/peer-gateways/batch-delete', { ids });
  expect(batch.status).toBe(400);
  expect(batch.text.length).toBeLessThan(20_000);
});

it('GET /billing/settings is for operators', async () => {
  expect((await t.get('/api/v1/billing/settings')).status).toBe(403);
  expect((await client(api, api.adminKey).get('/api/v1/billing/settings')).status).toBe(200);
});
