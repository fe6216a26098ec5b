// Webhooks cannot reach the platform's own network: an IP literal that is loopback, private or
// link-local is refused when the template is saved, and at delivery the resolved address is
// checked again (a name may point anywhere later). Operators can allow private receivers
// (WEBHOOK_ALLOW_PRIVATE, on in the other alert tests, whose receiver listens on 127.0.0.1).
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { Client } from 'pg';
import { WebhookSender } from '../../src/alerts/webhook-sender.service';
import { SECRET_BOX, SecretBox } from '../../src/common/secret-box';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, TenantWorld } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let c: ReturnType<typeof client>;
let server: Server;
let hits = 0;
let port = 0;
const RULES = [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }];
const SECRET = 'egress-test-secret-0123456789';

beforeAll(async () => {
  api = await startTestApi({ ALERT_EVALUATION_INTERVAL_MS: '0' });
  w = await createTenantWorld(api, 'egress', 1);
  c = client(api, w.key);
  server = createServer((_req, res) => {
    hits++;
    res.statusCode = 204;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.close();
  await api?.close();
});

it.each(['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.5/x', 'http://[::1]/x', 'http://localhost:8080/x'])(
  'refuses a template whose webhook is %s (400 naming the url, nothing stored)',
  async (url) => {
    const before = (await c.ok(c.get('/api/v1/alert-templates'))).total;
    const res = await c.post('/api/v1/alert-templates', { name: `t-${url.length}`, rules: RULES, channels: [{ type: 'webhook', url, secret: SECRET }] });
    expect(res.status).toBe(400);
    expect(res.body.violations).toEqual([expect.objectContaining({ field: 'channels.0.url', rule: 'public_address' })]);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    expect((await c.ok(c.get('/api/v1/alert-templates'))).total).toBe(before);
  },
);

it('at delivery, a receiver on 127.0.0.1 is not contacted and the record says why (not "connection refused")', async () => {
  const db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
  try {
    const box = api.app.get<SecretBox>(SECRET_BOX);
    await db.query(
      `INSERT INTO webhook_deliveries (id, tenant_id, alert_id, template_id, channel_id, event, url, body, secret_sealed, max_attempts, next_attempt_at)
       VALUES ('whd-egress1', $1, 'alr-x', 'atpl-x', 'ch-x', 'firing', $2, '{}', $3, 1, now() - interval '1 minute')`,
      [w.tenantId, `http://127.0.0.1:${port}/hook`, box.seal(SECRET)],
    );
    await api.app.get(WebhookSender).deliverDue();
    expect(hits).toBe(0);
    const [row] = (await c.ok(c.get('/api/v1/webhook-deliveries?status=failed'))).items;
    expect(row).toMatchObject({ id: 'whd-egress1', attempts: 1, lastStatusCode: null });
    expect(row.lastError).toMatch(/egress policy/);
    expect(row.lastError).not.toMatch(/ECONNREFUSED|timed out/i);
  } finally {
    await db.end();
  }
});
