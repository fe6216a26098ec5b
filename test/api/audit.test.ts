// The audit log: every state-changing call with an API key (who, what, when, result), tenants see
// their own events and operators all, paging and filters like every list, an Excel export, no
// secret ever stored, retention by AUDIT_RETENTION_DAYS.
import ExcelJS from 'exceljs';
import { Client } from 'pg';
import { AuditService } from '../../src/audit/audit.service';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let other: TenantWorld;
let t: ReturnType<typeof client>;
let o: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;
const PSK = 'Audit.Secret-Key-42';
const HOOK_SECRET = 'audit-webhook-secret-0123456789';

beforeAll(async () => {
  api = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  w = await createTenantWorld(api, 'audited', 1);
  other = await createTenantWorld(api, 'audited-other', 2);
  t = client(api, w.key);
  o = client(api, other.key);
  admin = client(api, api.adminKey);
});
afterAll(() => api?.close());

const events = async (c: ReturnType<typeof client>, query = '') => (await c.ok(c.get(`/api/v1/audit-events?limit=1000${query}`))).items;

it('records each write (success and failure) with key, tenant, route, resource id and result; never a secret', async () => {
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.9' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { psk: PSK })), 201);
  await t.ok(t.put(`/api/v1/vpn-tunnels/${tunnel.id}/ike-policy`, { psk: `${PSK}-2` }));
  await t.ok(t.patch(`/api/v1/vpn-tunnels/${tunnel.id}`, { name: 'renamed' }));
  await t.ok(
    t.post('/api/v1/alert-templates', {
      name: 'h',
      rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
      channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/x', secret: HOOK_SECRET }],
    }),
    201,
  );
  expect((await t.post('/api/v1/peer-gateways', { name: 'bad', ipAddress: '127.0.0.1' })).status).toBe(400);
  expect((await t.delete('/api/v1/peer-gateways/rgw-nothere')).status).toBe(404);
  await t.ok(t.get('/api/v1/vpn-tunnels')); // reads are not audited
  await t.ok(t.post('/api/v1/vpn-gateways/quote', { machineTypeId: w.machineTypeId, chargeType: 'monthly', period: 1 })); // nor quotes

  const mine = await events(t);
  const summary = mine.map((e: any) => `${e.method} ${e.route} ${e.resourceId} ${e.statusCode} ${e.result}`);
  expect(summary).toEqual(
    expect.arrayContaining([
      `POST /api/v1/vpn-gateways ${gw.id} 201 success`,
      `POST /api/v1/peer-gateways ${peer.id} 201 success`,
      `POST /api/v1/vpn-tunnels ${tunnel.id} 201 success`,
      `PUT /api/v1/vpn-tunnels/:id/ike-policy ${tunnel.id} 200 success`,
      `PATCH /api/v1/vpn-tunnels/:id ${tunnel.id} 200 success`,
      'POST /api/v1/peer-gateways null 400 failure',
      'DELETE /api/v1/peer-gateways/:id rgw-nothere 404 failure',
    ]),
  );
  expect(mine).toHaveLength(8);
  expect(mine.every((e: any) => e.tenantId === w.tenantId && e.role === 'tenant' && e.keyId && e.clientAddress)).toBe(true);
  expect(mine.find((e: any) => e.statusCode === 400)).toMatchObject({ errorCode: 'validation_failed', resource: 'peer-gateways' });
  // Newest first by default, and nothing secret anywhere.
  expect(Date.parse(mine[0].at)).toBeGreaterThanOrEqual(Date.parse(mine[mine.length - 1].at));
  const all = JSON.stringify(await events(admin));
  for (const secret of [PSK, HOOK_SECRET, w.key, api.adminKey]) expect(all).not.toContain(secret);
  const db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
  const dump = JSON.stringify((await db.query('SELECT * FROM audit_events')).rows);
  await db.end();
  for (const secret of [PSK, HOOK_SECRET, w.key]) expect(dump).not.toContain(secret);
});

it('another tenant sees none of it; operators see everything and filter by tenant', async () => {
  await o.ok(o.post('/api/v1/peer-gateways', { name: 'theirs', ipAddress: '203.0.113.77' }), 201);
  const theirs = await events(o);
  expect(theirs).toHaveLength(1);
  expect(theirs[0].tenantId).toBe(other.tenantId);
  // A tenant cannot widen its view with tenantId.
  expect((await events(o, `&tenantId=${w.tenantId}`)).every((e: any) => e.tenantId === other.tenantId)).toBe(true);
  const ops = await events(admin);
  expect(ops.some((e: any) => e.tenantId === w.tenantId)).toBe(true);
  expect(ops.some((e: any) => e.role === 'admin' && e.route === '/api/v1/tenants')).toBe(true);
  const filtered = await events(admin, `&tenantId=${other.tenantId}`);
  expect(filtered.map((e: any) => e.tenantId)).toEqual([other.tenantId]);
});

it('pages and filters like the other lists', async () => {
  const page = await t.ok(t.get('/api/v1/audit-events?limit=3&offset=1&order=asc'));
  expect(page).toMatchObject({ total: 8, offset: 1, limit: 3 });
  expect(page.items).toHaveLength(3);
  expect((await events(t, '&result=failure')).map((e: any) => e.statusCode).sort()).toEqual([400, 404]);
  expect((await events(t, '&method=PATCH')).map((e: any) => e.route)).toEqual(['/api/v1/vpn-tunnels/:id']);
  expect((await events(t, '&resource=vpn-tunnels')).length).toBe(3);
  expect((await events(t, '&from=2099-01-01T00:00:00Z')).length).toBe(0);
  expect((await t.get('/api/v1/audit-events?from=2009-W53-7')).body.violations[0]).toMatchObject({ field: 'from' });
  expect((await t.get('/api/v1/audit-events?sort=keyId')).status).toBe(400);
});

it("exports the tenant's own events to Excel", async () => {
  const res = await t
    .get('/api/v1/audit-events/export.xlsx?lang=en')
    .buffer(true)
    .parse((r: any, cb: any) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.body);
  const sheet = wb.worksheets[0];
  expect(sheet.rowCount).toBe(1 + 8);
  const text = JSON.stringify(sheet.getSheetValues());
  expect(text).toContain('/api/v1/vpn-tunnels/:id/ike-policy');
  expect(text).not.toContain(other.tenantId);
  expect(text).not.toContain(PSK);
});

it('deletes events past the retention period', async () => {
  const audit = api.app.get(AuditService);
  const before = (await events(admin)).length;
  expect(await audit.sweep(new Date(Date.now() + 399 * 86_400_000))).toBe(0);
  expect(await audit.sweep(new Date(Date.now() + 401 * 86_400_000))).toBe(before);
  expect(await events(admin)).toHaveLength(0);
});
