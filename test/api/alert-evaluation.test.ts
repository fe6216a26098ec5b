// Alert evaluation against the real database, driven period by period (the timer is off and the
// test owns the clock): consecutive periods, one notification per transition, history, console
// notifications, signed webhooks with retries, and one evaluation per period across replicas.
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { Client } from 'pg';
import { AlertEvaluator } from '../../src/alerts/alert-evaluator.service';
import { NO_ANSWER, WebhookSender } from '../../src/alerts/webhook-sender.service';
import { verifySignature } from '../../src/alerts/webhook-signature';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

const PERIOD = 10_000;
const SECRET = 'receiver-shared-secret-1';

let api: TestApi;
let w: TenantWorld;
let c: ReturnType<typeof client>;
let db: Client;
let evaluator: AlertEvaluator;
let sender: WebhookSender;
let clock = Math.ceil(Date.now() / PERIOD) * PERIOD;
let gatewayId: string;
let peerId: string;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}
const received: Received[] = [];
const answers: number[] = []; // statuses to answer, in order; 204 when empty
let server: Server;
let hookUrl: string;

/** One evaluation period later. */
async function period(): Promise<void> {
  clock += PERIOD;
  expect(await evaluator.evaluate(new Date(clock))).not.toBeNull();
}
const periods = async (n: number) => {
  for (let i = 0; i < n; i++) await period();
};
const setConnection = (id: string, state: string) => db.query('UPDATE vpn_tunnels SET connection_state = $2 WHERE id = $1', [id, state]);
const alertsOf = async (resourceId: string) => (await c.ok(c.get(`/api/v1/alerts?resourceId=${resourceId}&sort=firedAt&order=asc`))).items;
const notificationsOf = async (resourceId: string) => (await c.ok(c.get(`/api/v1/notifications?resourceId=${resourceId}&limit=100`))).items;

let tunnelCount = 0;
async function newTunnel(templateId?: string): Promise<string> {
  tunnelCount++;
  const t = await c.ok(
    c.post(
      '/api/v1/vpn-tunnels',
      tunnelBody(gatewayId, peerId, w, {
        name: `t${tunnelCount}`,
        remoteCidrs: [`172.16.${tunnelCount}.0/24`],
        ikePolicy: { localId: `gw${tunnelCount}.example.com` },
      }),
    ),
    201,
  );
  if (templateId) await c.ok(c.put(`/api/v1/vpn-tunnels/${t.id}/alert-template`, { alertTemplateId: templateId }));
  return t.id;
}

beforeAll(async () => {
  // The receiver listens on 127.0.0.1: the operator setting that allows private receivers.
  api = await startTestApi({ ALERT_EVALUATION_INTERVAL_MS: '0', WEBHOOK_RETRY_BASE_MS: '1000', WEBHOOK_ALLOW_PRIVATE: 'true' });
  evaluator = api.app.get(AlertEvaluator);
  sender = api.app.get(WebhookSender);
  db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
  w = await createTenantWorld(api, 'evalco', 3);
  c = client(api, w.key);
  gatewayId = (await c.ok(c.post('/api/v1/vpn-gateways', gatewayBody(w)), 201)).id;
  peerId = (await c.ok(c.post('/api/v1/peer-gateways', { name: 'site', ipAddress: '203.0.113.30' }), 201)).id;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await db?.end();
  server?.close();
  await api?.close();
});

describe('the default template on a tunnel (health from the connection state, no collector)', () => {
  let tunnel: string;
  beforeAll(async () => {
    tunnel = await newTunnel();
    await setConnection(tunnel, 'connected');
    await period(); // starts healthy
  });

  it('fires on the 3rd consecutive down period, once, with a console notification', async () => {
    await setConnection(tunnel, 'phase1_failed');
    await periods(2);
    expect(await alertsOf(tunnel)).toEqual([]);
    await period();
    const [alert] = await alertsOf(tunnel);
    expect(alert).toMatchObject({
      state: 'firing',
      resolution: null,
      value: 0,
      resolvedAt: null,
      templateName: 'Default',
      rule: { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 },
      resource: { type: 'tunnel', id: tunnel, name: 't1' },
    });
    await periods(10); // still down: no storm
    expect(await alertsOf(tunnel)).toHaveLength(1);
    const notes = await notificationsOf(tunnel);
    expect(notes).toEqual([
      expect.objectContaining({ event: 'firing', alertId: alert.id, read: false, message: expect.stringContaining('[firing] VPN tunnel t1') }),
    ]);
    // Names, not ids: the resource and the template, and the rule that fired (the console words them).
    expect(notes[0]).toMatchObject({
      resourceName: 't1',
      templateName: alert.templateName,
      rule: { metric: alert.rule.metric, comparator: alert.rule.comparator },
    });
  });

  it('resolves at the first healthy period, once; the history keeps the incident', async () => {
    await setConnection(tunnel, 'connected');
    await periods(5);
    const [alert] = await alertsOf(tunnel);
    expect(alert).toMatchObject({ state: 'resolved', resolution: 'recovered', value: 0, resolvedValue: 1 });
    expect(new Date(alert.resolvedAt).getTime()).toBeGreaterThan(new Date(alert.firedAt).getTime());
    expect((await notificationsOf(tunnel)).map((n: any) => n.event)).toEqual(['resolved', 'firing']);
    expect((await c.ok(c.get(`/api/v1/alerts?resourceId=${tunnel}&state=firing`))).total).toBe(0);
  });

  it('a down spell shorter than 3 periods, and flapping, never notify', async () => {
    for (let i = 0; i < 4; i++) {
      await setConnection(tunnel, 'connecting');
      await periods(2);
      await setConnection(tunnel, 'connected');
      await period();
    }
    expect(await alertsOf(tunnel)).toHaveLength(1);
    expect(await notificationsOf(tunnel)).toHaveLength(2);
  });

  it('notifications: unread filter, unread count, mark read (idempotent), read all', async () => {
    const unread = await c.ok(c.get(`/api/v1/notifications?unread=true&resourceId=${tunnel}`));
    expect(unread.total).toBe(2);
    expect(unread.unreadCount).toBeGreaterThanOrEqual(2);
    const first = await c.ok(c.post(`/api/v1/notifications/${unread.items[0].id}/read`), 200);
    expect(first).toMatchObject({ read: true, readAt: expect.any(String), resourceName: expect.any(String), templateName: expect.any(String) });
    const again = await c.ok(c.post(`/api/v1/notifications/${unread.items[0].id}/read`), 200);
    expect(again.readAt).toBe(first.readAt);
    expect((await c.ok(c.get(`/api/v1/notifications?unread=true&resourceId=${tunnel}`))).total).toBe(1);
    expect((await c.ok(c.get(`/api/v1/notifications?unread=false&resourceId=${tunnel}`))).total).toBe(1);
    await c.ok(c.post('/api/v1/notifications/read-all'), 200);
    expect((await c.ok(c.get('/api/v1/notifications?unread=true'))).unreadCount).toBe(0);
  });
});

describe('samples', () => {
  it('a fresh sample wins over the connection state; a stale one does not', async () => {
    const tmpl = await c.ok(
      c.post('/api/v1/alert-templates', { name: 'samples', rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 2 }] }),
      201,
    );
    const tunnel = await newTunnel(tmpl.id); // connecting: down by its state
    const sample = (at: number, health: number) =>
      db.query(
        `INSERT INTO tunnel_samples (tunnel_id, at, tenant_id, gateway_id, health, bytes_in, bytes_out, packets_in, packets_out, bps_in, bps_out, pps_in, pps_out)
       VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0, 0, 0, 0)`,
        [tunnel, new Date(at), w.tenantId, gatewayId, health],
      );
    for (let i = 0; i < 3; i++) {
      await sample(clock + PERIOD - 1000, 1); // the collector says the CHILD_SA is installed
      await period();
    }
    expect(await alertsOf(tunnel)).toEqual([]);
    await periods(4); // samples stop (30 s max age): health follows the state, 0
    expect(await alertsOf(tunnel)).toEqual([expect.objectContaining({ state: 'firing' })]);
  });

  it('gateway rules read gateway samples; without samples nothing is judged', async () => {
    const tmpl = await c.ok(
      c.post('/api/v1/alert-templates', {
        name: 'busy',
        rules: [
          { metric: 'gateway_tx_utilization', comparator: 'ge', threshold: 0.8, periods: 2 },
          { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 1 },
        ],
      }),
      201,
    );
    await c.ok(c.put(`/api/v1/vpn-gateways/${gatewayId}/alert-template`, { alertTemplateId: tmpl.id }));
    await periods(3);
    expect(await alertsOf(gatewayId)).toEqual([]); // tunnel rules never apply to a gateway
    const sample = (u: number) =>
      db.query(
        `INSERT INTO gateway_samples (gateway_id, at, tenant_id, rx_bytes, tx_bytes, rx_packets, tx_packets, rx_bps, tx_bps, rx_pps, tx_pps, tx_utilization)
       VALUES ($1, $2, $3, 0, 0, 0, 0, 0, 0, 0, 0, $4)`,
        [gatewayId, new Date(clock + PERIOD - 500), w.tenantId, u],
      );
    for (const u of [0.9, 0.5, 0.85, 0.95]) {
      await sample(u);
      await period();
    }
    expect(await alertsOf(gatewayId)).toEqual([
      expect.objectContaining({ state: 'firing', value: 0.95, rule: expect.objectContaining({ metric: 'gateway_tx_utilization' }) }),
    ]);
  });
});

describe('webhooks', () => {
  let tmplId: string;
  let tunnel: string;

  it('one signed POST per transition; a failed attempt is retried with back-off; every attempt recorded', async () => {
    const tmpl = await c.ok(
      c.post('/api/v1/alert-templates', {
        name: 'hook',
        rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
        channels: [{ type: 'webhook', url: hookUrl, secret: SECRET }],
      }),
      201,
    );
    tmplId = tmpl.id;
    tunnel = await newTunnel(tmpl.id);
    received.length = 0;
    await periods(6);
    answers.push(500);
    expect(await sender.deliverDue(new Date(clock))).toBe(1);
    expect(await sender.deliverDue(new Date(clock))).toBe(0); // not due before its back-off
    const [pending] = (await c.ok(c.get(`/api/v1/webhook-deliveries?status=pending`))).items;
    expect(pending).toMatchObject({ attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500', event: 'firing', url: hookUrl });
    expect(await sender.deliverDue(new Date(clock + 1500))).toBe(1); // back-off base 1 s
    expect(await sender.deliverDue(new Date(clock + 60_000))).toBe(0);

    expect(received).toHaveLength(2);
    const [first, retry] = received;
    expect(retry.body).toBe(first.body);
    expect(retry.headers['x-vpn-delivery']).toBe(first.headers['x-vpn-delivery']);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-vpn-event']).toBe('firing');
    expect(verifySignature(SECRET, first.body, first.headers['x-vpn-signature'] as string)).toBe(true);
    expect(verifySignature('another-secret-value', first.body, first.headers['x-vpn-signature'] as string)).toBe(false);
    const body = JSON.parse(first.body);
    expect(body).toMatchObject({
      event: 'firing',
      deliveryId: first.headers['x-vpn-delivery'],
      tenantId: w.tenantId,
      template: { id: tmpl.id, name: 'hook' },
      alert: {
        state: 'firing',
        metric: 'tunnel_health',
        comparator: 'lt',
        threshold: 1,
        periods: 3,
        value: 0,
        resource: { type: 'tunnel', id: tunnel },
        resolvedAt: null,
      },
    });
    const delivered = (await c.ok(c.get(`/api/v1/webhook-deliveries?alertId=${body.alert.id}`))).items;
    expect(delivered).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null, nextAttemptAt: null })]);
  });

  it('the resolved notification carries firedAt and resolvedAt', async () => {
    received.length = 0;
    await setConnection(tunnel, 'connected');
    await periods(3);
    await sender.deliverDue(new Date(clock));
    expect(received).toHaveLength(1);
    const body = JSON.parse(received[0].body);
    expect(body).toMatchObject({ event: 'resolved', alert: { state: 'resolved', value: 1, firedAt: expect.any(String), resolvedAt: expect.any(String) } });
    expect(verifySignature(SECRET, received[0].body, received[0].headers['x-vpn-signature'] as string)).toBe(true);
  });

  it('gives up after the last attempt (network errors count) and records why', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const nobody = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/nobody`;
    await new Promise((r) => closed.close(r));
    await c.ok(c.patch(`/api/v1/alert-templates/${tmplId}`, { channels: [{ type: 'webhook', url: nobody, secret: SECRET }] }));
    await setConnection(tunnel, 'connecting');
    await periods(3);
    for (let i = 1; i <= 5; i++) await sender.deliverDue(new Date(clock + i * 3_600_000));
    const failed = (await c.ok(c.get('/api/v1/webhook-deliveries?status=failed'))).items;
    expect(failed).toEqual([expect.objectContaining({ attempts: 5, maxAttempts: 5, lastStatusCode: null, lastError: NO_ANSWER, url: nobody })]);
  });

  it('unbinding ends the open alert as cleared, without a notification', async () => {
    const before = (await c.ok(c.get('/api/v1/webhook-deliveries'))).total;
    await c.ok(c.put(`/api/v1/vpn-tunnels/${tunnel}/alert-template`, { alertTemplateId: null }));
    await period();
    const alerts = await alertsOf(tunnel);
    expect(alerts[alerts.length - 1]).toMatchObject({ state: 'resolved', resolution: 'cleared', resolvedValue: null });
    expect((await c.ok(c.get('/api/v1/webhook-deliveries'))).total).toBe(before);
  });
});

it('each period is evaluated once, whatever the number of replicas', async () => {
  clock += PERIOD;
  const now = new Date(clock);
  const results = await Promise.all([evaluator.evaluate(now), evaluator.evaluate(now), evaluator.evaluate(new Date(clock + 1))]);
  expect(results.filter((r) => r !== null)).toHaveLength(1);
  expect(await evaluator.evaluate(new Date(clock - PERIOD))).toBeNull(); // an older period never runs late
});

describe('gateway failovers', () => {
  it('gateway_failovers counts the moves after a lost host in the period (a drain does not count); the next quiet period resolves', async () => {
    const tmpl = await c.ok(
      c.post('/api/v1/alert-templates', { name: 'failover', rules: [{ metric: 'gateway_failovers', comparator: 'ge', threshold: 1, periods: 1 }] }),
      201,
    );
    const moved = (await c.ok(c.post('/api/v1/vpn-gateways', gatewayBody(w, 1)), 201)).id;
    await c.ok(c.put(`/api/v1/vpn-gateways/${moved}/alert-template`, { alertTemplateId: tmpl.id }));
    const move = (reason: string, at: number) =>
      db.query(`INSERT INTO gateway_moves (gateway_id, from_host_id, to_host_id, reason, epoch, moved_at) VALUES ($1, 'host-a', 'host-b', $2, 2, $3)`, [
        moved,
        reason,
        new Date(at),
      ]);
    await move('drain', clock + PERIOD - 2000);
    await period();
    expect(await alertsOf(moved)).toEqual([]);
    await move('lease_expired', clock + PERIOD - 2000);
    await period();
    expect(await alertsOf(moved)).toEqual([
      expect.objectContaining({ state: 'firing', value: 1, rule: expect.objectContaining({ metric: 'gateway_failovers' }) }),
    ]);
    await period(); // the failover is in an earlier period now
    expect(await alertsOf(moved)).toEqual([expect.objectContaining({ state: 'resolved', resolvedValue: 0 })]);
  });
});
