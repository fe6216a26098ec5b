// The pre-shared key is encrypted at rest and never appears in logs or list responses.
import { Client } from 'pg';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, tunnelBody } from '../support/fixtures';

const PSK = 'Zx9-unique-psk-7Q!';
const NEW_PSK = 'Yw8-rotated-psk-3R#';
const BAD_PSK = 'bad psk with spaces';

let api: TestApi;
let captured = '';
const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

beforeAll(async () => {
  const capture = (orig: typeof process.stdout.write) => ((chunk: any, ...rest: any[]) => {
    captured += String(chunk);
    return orig(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stdout.write = capture(originals.out);
  process.stderr.write = capture(originals.err);
  // Every log level on, so a leak at any level is caught.
  api = await startTestApi({ LOG_LEVEL: 'debug' }, ['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
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
  for (const secret of [PSK, NEW_PSK, BAD_PSK]) expect(captured).not.toContain(secret);
});
