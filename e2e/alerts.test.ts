// Issue 5, done-means 2: stopping the remote site makes the tunnel's health 0 (DPD or the site's
// delete), and a webhook receiver gets exactly one signed "firing" notification; when the site is
// back and the tunnel reconnects, exactly one "resolved". Real API (evaluation every 2 s), worker,
// charon and lab site; the receiver is an HTTP server in this test on 127.0.0.1.
import { createServer, IncomingHttpHeaders, Server } from 'http';
import { AddressInfo } from 'net';
import { verifySignature } from '../src/alerts/webhook-signature';
import { Product } from './support/product';
import { uniqueLabPrefix } from './support/lab-fixtures';

const PERIOD_MS = 2000;
// The harness gives this environment to the API and the worker alike; only the API reads these.
const product = new Product({ labPrefix: uniqueLabPrefix('el'), workerEnv: { ALERT_EVALUATION_INTERVAL_MS: String(PERIOD_MS), WEBHOOK_RETRY_BASE_MS: '500' } });
const SITE = { name: 'hq', publicIp: '203.0.113.81', subnet: '172.16.81.0/24' };
const SECRET = 'e2e-webhook-secret-0123';

interface Call {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}
const calls: Call[] = [];
let receiver: Server;
let hookUrl = '';
let gw: any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const events = () => calls.map((c) => c.json.event);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push({ at: Date.now(), headers: req.headers, body, json: JSON.parse(body) });
      res.statusCode = 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await product.start();
  gw = await product.createGateway('alerts-gw');
}, 120_000);
afterAll(async () => {
  receiver?.close();
  await product.stop();
}, 60_000);

it('2. site down: one signed firing webhook after health 0 for 3 periods; site back and reconnected: one resolved', async () => {
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'hq', ipAddress: SITE.publicIp });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-hq',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [product.inventory.vpcs[0].subnets[0].id],
    remoteCidrs: [SITE.subnet],
    psk: 'alerts.Key-1',
  });
  expect(tunnel.alertTemplateId).toMatch(/^alt-/); // the tenant's default template
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.waitForTunnel(tunnel.id, ['connected']);

  const template = await product.ok('POST', '/api/v1/alert-templates', {
    name: 'pager',
    rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
    channels: [{ type: 'webhook', url: hookUrl, secret: SECRET }, { type: 'console' }],
  });
  const bound = await product.ok('PUT', `/api/v1/vpn-tunnels/${tunnel.id}/alert-template`, { alertTemplateId: template.id });
  expect(bound.alertTemplateId).toBe(template.id);
  await sleep(4 * PERIOD_MS);
  expect(calls).toEqual([]); // healthy: nothing to say

  // The remote site goes away: charon's DPD (or the site's delete) takes the tunnel down.
  const stoppedAt = Date.now();
  await product.lab.stopSite(SITE.name);
  await product.waitFor(async () => calls.length > 0, 90_000, 'the firing webhook');
  const down = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`);
  expect(down.connectionState).not.toBe('connected');
  // Health must have been 0 for 3 evaluation periods before the notification.
  expect(calls[0].at - stoppedAt).toBeGreaterThanOrEqual(2 * PERIOD_MS);
  await sleep(4 * PERIOD_MS); // still down: no storm
  expect(events()).toEqual(['firing']);

  await product.lab.startSite(SITE.name);
  await product.waitForTunnel(tunnel.id, ['connected'], 90_000);
  await product.waitFor(async () => calls.length > 1, 30_000, 'the resolved webhook');
  await sleep(5 * PERIOD_MS); // connected: nothing more
  expect(events()).toEqual(['firing', 'resolved']);

  const [firing, resolved] = calls;
  for (const c of calls) {
    expect(verifySignature(SECRET, c.body, c.headers['x-vpn-signature'] as string)).toBe(true);
    expect(c.headers['x-vpn-delivery']).toBe(c.json.deliveryId);
    expect(c.json).toMatchObject({
      template: { id: template.id, name: 'pager' },
      alert: { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3, resource: { type: 'tunnel', id: tunnel.id, name: 'to-hq' } },
    });
  }
  expect(firing.json.alert).toMatchObject({ state: 'firing', value: 0, resolvedAt: null });
  expect(resolved.json.alert).toMatchObject({
    id: firing.json.alert.id,
    state: 'resolved',
    value: 1,
    firedAt: firing.json.alert.firedAt,
    resolvedAt: expect.any(String),
  });
  expect(resolved.headers['x-vpn-delivery']).not.toBe(firing.headers['x-vpn-delivery']);

  // The same incident in the history, the console and the delivery log.
  const history = await product.ok('GET', `/api/v1/alerts?resourceId=${tunnel.id}&templateId=${template.id}`);
  expect(history.items).toEqual([expect.objectContaining({ id: firing.json.alert.id, state: 'resolved', resolution: 'recovered' })]);
  const notes = await product.ok('GET', `/api/v1/notifications?resourceId=${tunnel.id}`);
  expect(notes.items.filter((n: any) => n.alertId === firing.json.alert.id).map((n: any) => n.event)).toEqual(['resolved', 'firing']);
  const deliveries = await product.ok('GET', `/api/v1/webhook-deliveries?alertId=${firing.json.alert.id}`);
  expect(deliveries.items.map((d: any) => [d.event, d.status, d.attempts]).sort()).toEqual([
    ['firing', 'delivered', 1],
    ['resolved', 'delivered', 1],
  ]);
});
