// The pre-shared key and webhook secrets are encrypted at rest and never appear in logs or list responses.
import { Client } from 'pg';
import { NestStructuredLogger } from '../../src/common/nest-log';
import { createLogger } from '../../src/common/structured-log';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, tunnelBody } from '../support/fixtures';

const PSK = 'Zx9-unique-psk-7Q!';
const NEW_PSK = 'Yw8-rotated-psk-3R#';
const BAD_PSK = 'bad psk with spaces';
const WEBHOOK_SECRET = 'whsec-Unique-9f3-secret';
const BAD_WEBHOOK_SECRET = 'short whsec';

let api: TestApi;
let captured = '';
const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

beforeAll(async () => {
  const capture = (orig: typeof process.stdout.write) =>
    ((chunk: any, ...rest: any[]) => {
      captured += String(chunk);
      return orig(chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = capture(originals.out);
  process.stderr.write = capture(originals.err);
  // The production logger (as src/main.ts builds it) with every level on and every field written
  // (JSON: an error's stack too), so a leak at any level is caught.
  api = await startTestApi({ LOG_LEVEL: 'debug' }, new NestStructuredLogger(createLogger({ level: 'debug', format: 'json', context: 'api' })));
});
afterAll(async () => {
  process.stdout.write = originals.out;
  process.stderr.write = originals.err;
  await api?.close();
});

it('never logs the PSK, never lists it, and stores it encrypted', async () => {
  const w = await createTenantWorld(api, 'secretive');
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.5' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { psk: PSK })), 201);
  expect(JSON.stringify(tunnel)).not.toContain(PSK);

  const list = await t.ok(t.get('/api/v1/vpn-tunnels'));
  expect(JSON.stringify(list)).not.toContain(PSK);
  expect(list.items[0]).not.toHaveProperty('psk');
  const search = await t.ok(t.get(`/api/v1/vpn-tunnels?q=${encodeURIComponent(PSK)}`));
  expect(search.total).toBe(0);

  expect((await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnel.id}?includePsk=true`))).psk).toBe(PSK);
  await t.ok(t.put(`/api/v1/vpn-tunnels/${tunnel.id}/ike-policy`, { psk: NEW_PSK }));
  const refused = await t.put(`/api/v1/vpn-tunnels/${tunnel.id}/ike-policy`, { psk: BAD_PSK });
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.body)).not.toContain(BAD_PSK);
  // Force a server-side error path with the key in the body too.
  await t.post('/api/v1/vpn-tunnels', { ...tunnelBody(gw.id, peer.id, w, { psk: PSK }), gatewayId: { bad: true } });

  const db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
  const rows = await db.query('SELECT psk_sealed FROM vpn_tunnels');
  await db.end();
  expect(rows.rows[0].psk_sealed).toMatch(/^v1:/);
  expect(rows.rows[0].psk_sealed).not.toContain(NEW_PSK);

  expect(captured.length).toBeGreaterThan(0); // the capture did see the app's logs
  expect(captured).toMatch(/^\{"time":"[^"]+","level":"(log|debug)","context":"[A-Za-z]+"/m); // through the structured logger
  for (const secret of [PSK, NEW_PSK, BAD_PSK]) expect(captured).not.toContain(secret);
});

it('never logs a webhook secret: on create, on a refused secret, on a request that fails server-side', async () => {
  const w = await createTenantWorld(api, 'hooks', 2);
  const t = client(api, w.key);
  const hook = (secret: string) => ({ type: 'webhook', url: 'https://hooks.example.com/vpn', secret });
  const rules = [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }];
  const created = await t.ok(t.post('/api/v1/alert-templates', { name: 'hooked', rules, channels: [hook(WEBHOOK_SECRET)] }), 201);
  expect(JSON.stringify(created)).not.toContain(WEBHOOK_SECRET);
  const refused = await t.post('/api/v1/alert-templates', { name: 'bad', rules, channels: [hook(BAD_WEBHOOK_SECRET)] });
  expect(refused.status).toBe(400);
  expect(JSON.stringify(refused.body)).not.toContain(BAD_WEBHOOK_SECRET);
  await t.post('/api/v1/alert-templates', { name: { bad: true }, rules, channels: [hook(WEBHOOK_SECRET)] });
  await t.ok(t.patch(`/api/v1/alert-templates/${created.id}`, { name: 'hooked-2', channels: [hook(`${WEBHOOK_SECRET}-2`)] }));

  for (const secret of [WEBHOOK_SECRET, BAD_WEBHOOK_SECRET]) expect(captured).not.toContain(secret);
});
