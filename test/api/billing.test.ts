// Billing against the real database: prices, quotes, orders, the balance and its ledger, refusals
// that change nothing, renewal ranges, and the sweep (expiry, auto-renewal, notices, release),
// driven by moving expires_at in the database and calling POST /billing/sweep (no sleeping).
import { observeTunnels } from '../../src/alerts/alert-sources.queries';
import * as ExcelJS from 'exceljs';
import { Client } from 'pg';
import { desiredRoutes } from '../../src/routes/desired-routes';
import { ROUTE_HOLD_DOWN_MS, RoutesService } from '../../src/routes/routes.service';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, FIXTURE_PRICES, FIXTURE_TOP_UP, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let db: Client;
let admin: ReturnType<typeof client>;
let w: TenantWorld;
let c: ReturnType<typeof client>;

const HOUR = 3_600_000;
const SECRET = 'whsec-Sup3r-long-secret';

const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);
const balance = async (key = w.key) => {
  const t = client(api, key);
  return (await t.ok(t.get('/api/v1/account'))).balance as number;
};
const sweep = () => admin.ok(admin.post('/api/v1/billing/sweep'));
/** Destinations the route pusher gives instances of a subnet (derived from the tunnels). */
const routesTo = async (subnetId: string) => {
  const routing = await api.app.get(RoutesService).vpcRouting(w.vpcId);
  return desiredRoutes({ kind: 'instance', subnetId }, routing.tunnels, routing.subnets, new Date(), ROUTE_HOLD_DOWN_MS).routes.map((r) => r.destination);
};
const setExpiry = (id: string, at: Date) => db.query('UPDATE vpn_gateways SET expires_at = $2 WHERE id = $1', [id, at]);

/** An .xlsx download's first sheet as rows of cell values (row 1 = headers). */
async function sheet(key: string, path: string) {
  const res = await client(api, key)
    .get(path)
    .buffer(true)
    .parse((r: any, cb: (err: Error | null, body: Buffer) => void) => {
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${(res.body as Buffer).toString()}`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.body as any);
  const ws = wb.worksheets[0];
  const rows: ExcelJS.CellValue[][] = [];
  ws.eachRow((row) => rows.push(Array.from({ length: ws.columnCount }, (_, i) => row.getCell(i + 1).value)));
  return { title: ws.name, header: rows[0], data: rows.slice(1), disposition: res.headers['content-disposition'] as string };
}

let eipIndex = 0;
async function buyGateway(extra: object = {}, world = w) {
  const t = client(api, world.key);
  return t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(world, eipIndex++, { name: `gw-${eipIndex}`, ...extra })), 201);
}

beforeAll(async () => {
  api = await startTestApi({ ALERT_EVALUATION_INTERVAL_MS: '0' });
  db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
  admin = client(api, api.adminKey);
  w = await createTenantWorld(api, 'payer', 1, 20);
  c = client(api, w.key);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await api?.close();
});

describe('prices', () => {
  it('operators set prices in integer minor units; everyone reads them; tenants cannot write', async () => {
    const list = await c.ok(c.get(`/api/v1/prices?machineTypeId=${w.machineTypeId}`));
    expect(list.items.map((p: any) => [p.chargeType, p.unitPrice, p.currency])).toEqual([
      ['hourly', 100, 'CNY'],
      ['monthly', 20000, 'CNY'],
      ['yearly', 200000, 'CNY'],
    ]);
    const denied = await c.put('/api/v1/prices', { items: [] });
    expect(denied.status).toBe(403);
  });

  it('refuses floats, unknown machine types, bad currencies and duplicates, all at once, and changes nothing', async () => {
    const res = await admin.put('/api/v1/prices', {
      items: [
        { machineTypeId: w.machineTypeId, chargeType: 'hourly', unitPrice: 1.5 },
        { machineTypeId: 'mt-nothere', chargeType: 'monthly', unitPrice: 100 },
        { machineTypeId: w.machineTypeId, chargeType: 'yearly', unitPrice: 100, currency: 'yuan' },
        { machineTypeId: w.machineTypeId, chargeType: 'yearly', unitPrice: -1 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.violations.map((v: any) => [v.field, v.rule])).toEqual([
      ['items[0].unitPrice', 'minor_units'],
      ['items[1].machineTypeId', 'exists'],
      ['items[2].currency', 'iso_4217'],
      ['items[3].unitPrice', 'minor_units'],
      ['items[3]', 'unique'],
    ]);
    const list = await c.ok(c.get(`/api/v1/prices?machineTypeId=${w.machineTypeId}`));
    expect(list.items.find((p: any) => p.chargeType === 'hourly').unitPrice).toBe(FIXTURE_PRICES.hourly);
  });

  it('a machine type without a price for a charge type is not sold that way', async () => {
    const mt = await admin.ok(admin.post('/api/v1/machine-types', { name: 'arm-unpriced', architecture: 'aarch64' }), 201);
    await admin.ok(admin.put('/api/v1/prices', { items: [{ machineTypeId: mt.id, chargeType: 'yearly', unitPrice: 5000 }] }));
    const quote = await c.post('/api/v1/vpn-gateways/quote', { machineTypeId: mt.id, chargeType: 'monthly', period: 1 });
    expect(quote.status).toBe(409);
    expect(quote.body).toMatchObject({ code: 'not_for_sale', violations: [{ field: 'chargeType', rule: 'priced', value: 'monthly' }] });
    const buy = await c.post('/api/v1/vpn-gateways', gatewayBody(w, 19, { machineTypeId: mt.id, chargeType: 'monthly' }));
    expect(buy.status).toBe(409);
    expect(buy.body.code).toBe('not_for_sale');
    // null removes a price
    await admin.ok(admin.put('/api/v1/prices', { items: [{ machineTypeId: mt.id, chargeType: 'yearly', unitPrice: null }] }));
    expect((await c.ok(c.get(`/api/v1/prices?machineTypeId=${mt.id}`))).items).toEqual([]);
  });
});

describe('quote, order, balance', () => {
  it('quotes quantity 1 x unit price x period with the expiry, before buying', async () => {
    const before = Date.now();
    const q = await c.ok(c.post('/api/v1/vpn-gateways/quote', { machineTypeId: w.machineTypeId, chargeType: 'monthly', period: 3 }));
    expect(q).toMatchObject({ quantity: 1, chargeType: 'monthly', unitPrice: 20000, period: 3, amount: 60000, currency: 'CNY', affordable: true });
    expect(q.balance).toBe(await balance());
    const expires = new Date(q.expiresAt).getTime();
    expect(expires).toBeGreaterThan(before + 88 * 24 * HOUR);
    expect(expires).toBeLessThan(Date.now() + 93 * 24 * HOUR);
    const bad = await c.post('/api/v1/vpn-gateways/quote', { machineTypeId: w.machineTypeId, chargeType: 'hourly', period: 25 });
    expect(bad.status).toBe(400);
    expect(bad.body.violations[0]).toMatchObject({ field: 'period', rule: 'period_range', value: 25 });
  });

  it('buying a gateway writes one order (quantity 1) and one charge in the ledger, and moves the balance', async () => {
    const start = await balance();
    const gw = await buyGateway({ chargeType: 'yearly', period: 2 });
    const orders = await c.ok(c.get(`/api/v1/orders?gatewayId=${gw.id}`));
    expect(orders.items).toHaveLength(1);
    const order = orders.items[0];
    expect(order).toMatchObject({
      kind: 'purchase',
      gatewayId: gw.id,
      gatewayName: gw.name,
      quantity: 1,
      chargeType: 'yearly',
      period: 2,
      unitPrice: 200000,
      amount: 400000,
      currency: 'CNY',
    });
    expect(new Date(order.periodEnd).toISOString()).toBe(new Date(gw.expiresAt).toISOString());
    const ledger = await c.ok(c.get(`/api/v1/ledger?gatewayId=${gw.id}`));
    expect(ledger.items).toEqual([expect.objectContaining({ kind: 'charge', amount: -400000, balanceAfter: start - 400000, orderId: order.id })]);
    expect(await balance()).toBe(start - 400000);
  });

  it('refuses a purchase the balance cannot cover with 402 naming the amounts, and changes nothing', async () => {
    const poor = await createTenantWorld(api, 'poor', 5, 2);
    const cp = client(api, poor.key);
    // Spend the fixture's money down to 150.00 CNY.
    const account = await admin.ok(admin.get(`/api/v1/tenants/${poor.tenantId}/account`));
    expect(account.balance).toBe(FIXTURE_TOP_UP);
    await db.query('UPDATE accounts SET balance = 15000 WHERE tenant_id = $1', [poor.tenantId]);
    const snapshot = async () => ({
      gateways: await count('SELECT count(*) AS n FROM vpn_gateways WHERE tenant_id = $1', [poor.tenantId]),
      orders: await count('SELECT count(*) AS n FROM orders WHERE tenant_id = $1', [poor.tenantId]),
      ledger: await count('SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = $1', [poor.tenantId]),
      bound: await count('SELECT count(*) AS n FROM external_ips WHERE tenant_id = $1 AND bound_to IS NOT NULL', [poor.tenantId]),
      balance: await balance(poor.key),
    });
    const before = await snapshot();
    const res = await cp.post('/api/v1/vpn-gateways', gatewayBody(poor, 0, { chargeType: 'monthly', period: 1 }));
    expect(res.status).toBe(402);
    expect(res.body.code).toBe('insufficient_balance');
    expect(res.body.message).toContain('200.00 CNY');
    expect(res.body.message).toContain('150.00 CNY');
    expect(res.body.violations[0]).toMatchObject({
      field: 'balance',
      rule: 'covers_amount',
      value: { needed: 20000, available: 15000, shortfall: 5000, currency: 'CNY' },
    });
    expect(await snapshot()).toEqual(before);
    // The address was not reserved: the same purchase goes through once the balance covers it.
    expect((await cp.ok(cp.post('/api/v1/vpn-gateways/quote', { machineTypeId: poor.machineTypeId, chargeType: 'monthly' }))).affordable).toBe(false);
    await admin.ok(admin.post(`/api/v1/tenants/${poor.tenantId}/top-ups`, { amount: 5000 }), 201);
    const gw = await cp.ok(cp.post('/api/v1/vpn-gateways', gatewayBody(poor, 0, { chargeType: 'monthly', period: 1 })), 201);
    expect(gw.externalIp.id).toBe(poor.externalIpIds[0]);
    expect(await balance(poor.key)).toBe(0);
    // A renewal it cannot pay is refused the same way and leaves the expiry alone.
    const renew = await cp.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 });
    expect(renew.status).toBe(402);
    expect(renew.body.violations[0].value).toMatchObject({ needed: 20000, available: 0 });
    expect((await cp.ok(cp.get(`/api/v1/vpn-gateways/${gw.id}`))).expiresAt).toBe(gw.expiresAt);
    expect(await count('SELECT count(*) AS n FROM orders WHERE tenant_id = $1', [poor.tenantId])).toBe(1);
  });

  it('the ledger is append-only in the database', async () => {
    await expect(db.query('UPDATE ledger_entries SET amount = 0 WHERE tenant_id = $1', [w.tenantId])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM ledger_entries WHERE tenant_id = $1', [w.tenantId])).rejects.toThrow(/append-only/);
  });

  it('top-ups: operators only, positive integers, a repeated idempotency key tops up once', async () => {
    const start = await balance();
    expect((await c.post(`/api/v1/tenants/${w.tenantId}/top-ups`, { amount: 100 })).status).toBe(403);
    const bad = await admin.post(`/api/v1/tenants/${w.tenantId}/top-ups`, { amount: 10.5 });
    expect(bad.status).toBe(400);
    expect(bad.body.violations[0]).toMatchObject({ field: 'amount', rule: 'minor_units' });
    const other = await admin.post(`/api/v1/tenants/${w.tenantId}/top-ups`, { amount: 100, currency: 'USD' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('currency_mismatch');
    expect((await admin.post('/api/v1/tenants/tenant-nothere/top-ups', { amount: 100 })).status).toBe(404);
    const first = await admin.ok(admin.post(`/api/v1/tenants/${w.tenantId}/top-ups`, { amount: 12345, idempotencyKey: 'wire-42' }), 201);
    const again = await admin.ok(admin.post(`/api/v1/tenants/${w.tenantId}/top-ups`, { amount: 12345, idempotencyKey: 'wire-42' }), 201);
    expect(again.entry.id).toBe(first.entry.id);
    expect(await balance()).toBe(start + 12345);
    expect(first.entry).toMatchObject({ kind: 'top_up', amount: 12345, balanceAfter: start + 12345 });
  });

  it('operators refund (part of) an order, never more than was paid', async () => {
    const gw = await buyGateway({ chargeType: 'hourly', period: 5 });
    const order = (await c.ok(c.get(`/api/v1/orders?gatewayId=${gw.id}`))).items[0];
    const start = await balance();
    const part = await admin.ok(admin.post(`/api/v1/orders/${order.id}/refunds`, { amount: 200, reason: 'outage' }), 201);
    expect(part.entry).toMatchObject({ kind: 'refund', amount: 200, orderId: order.id, balanceAfter: start + 200 });
    const tooMuch = await admin.post(`/api/v1/orders/${order.id}/refunds`, { amount: 301 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.violations[0]).toMatchObject({ field: 'amount', rule: 'minor_units' });
    await admin.ok(admin.post(`/api/v1/orders/${order.id}/refunds`, {}), 201);
    expect((await admin.post(`/api/v1/orders/${order.id}/refunds`, {})).body.code).toBe('order_refunded');
    expect(await balance()).toBe(start + 500);
    expect((await c.ok(c.get(`/api/v1/orders?gatewayId=${gw.id}`))).items[0].refundedAmount).toBe(500);
  });
});

describe('renewal', () => {
  it.each([
    ['hourly', 25, 24],
    ['monthly', 12, 11],
    ['yearly', 6, 5],
  ] as const)('%s: refuses %d, renews %d from the current expiry', async (chargeType, tooLong, max) => {
    const gw = await buyGateway({ chargeType });
    for (const period of [0, tooLong, 1.5]) {
      const res = await c.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period });
      expect(res.status).toBe(400);
      expect(res.body.violations[0]).toMatchObject({ field: 'period', rule: 'period_range', value: period });
    }
    const start = await balance();
    const r = await c.ok(c.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: max }));
    const unit = FIXTURE_PRICES[chargeType];
    expect(r.order).toMatchObject({ kind: 'renewal', chargeType, period: max, unitPrice: unit, amount: unit * max, quantity: 1 });
    expect(new Date(r.order.periodStart).toISOString()).toBe(new Date(gw.expiresAt).toISOString());
    const old = new Date(gw.expiresAt);
    const expected = new Date(old);
    if (chargeType === 'hourly') expected.setUTCHours(expected.getUTCHours() + max);
    else expected.setUTCMonth(expected.getUTCMonth() + (chargeType === 'monthly' ? max : max * 12));
    // (calendar clamping aside, which gateway-rules.spec covers)
    expect(Math.abs(new Date(r.expiresAt).getTime() - expected.getTime())).toBeLessThanOrEqual(3 * 24 * HOUR);
    expect((await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}`))).expiresAt).toBe(new Date(r.expiresAt).toISOString());
    expect(r.balance).toBe(start - unit * max);
    expect(await balance()).toBe(start - unit * max);
  });

  it("another tenant's gateway is not found; operators cannot renew", async () => {
    const gw = await buyGateway();
    const other = await createTenantWorld(api, 'stranger', 6, 1);
    const co = client(api, other.key);
    expect((await co.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 })).status).toBe(404);
    expect((await admin.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 })).status).toBe(403);
  });
});

describe('delete preview (docs/billing.md "Deleting": the paid time is forfeited, no refund)', () => {
  it('shows the paid time left and its pro-rata value as forfeited, and deleting indeed refunds nothing', async () => {
    const gw = await buyGateway({ chargeType: 'monthly' });
    const monthly = FIXTURE_PRICES.monthly;
    const fresh = await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`));
    expect(fresh).toMatchObject({ gatewayId: gw.id, chargeType: 'monthly', refund: 0, policy: 'forfeit', currency: 'CNY' });
    // Just bought: almost the whole month is left.
    expect(fresh.unusedValue).toBeGreaterThan(monthly * 0.999);
    expect(fresh.unusedValue).toBeLessThanOrEqual(monthly);
    expect(fresh.forfeited).toBe(fresh.unusedValue);
    expect(Math.abs(fresh.remainingSeconds - (Date.parse(gw.expiresAt) - Date.now()) / 1000)).toBeLessThan(60);

    // Two thirds of a 30-day period ahead, and a renewal not started yet (counts whole).
    await c.ok(c.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 }));
    await db.query(
      `UPDATE orders SET period_start = now() - interval '10 days', period_end = now() + interval '20 days' WHERE gateway_id = $1 AND kind = 'purchase'`,
      [gw.id],
    );
    await db.query(
      `UPDATE orders SET period_start = now() + interval '20 days', period_end = now() + interval '50 days' WHERE gateway_id = $1 AND kind = 'renewal'`,
      [gw.id],
    );
    const later = await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`));
    const expected = Math.floor((monthly * 2) / 3) + monthly;
    expect(Math.abs(later.unusedValue - expected)).toBeLessThanOrEqual(2);
    // A partly refunded order counts what is left of it.
    await db.query(`UPDATE orders SET refunded_amount = $2 WHERE gateway_id = $1 AND kind = 'renewal'`, [gw.id, monthly / 2]);
    expect(Math.abs((await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`))).unusedValue - (expected - monthly / 2))).toBeLessThanOrEqual(2);

    const before = await balance();
    expect((await c.delete(`/api/v1/vpn-gateways/${gw.id}`)).status).toBeLessThan(300);
    expect(await balance()).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM ledger_entries WHERE gateway_id = $1 AND kind = 'refund'`, [gw.id])).toBe(0);
  });

  it('an expired gateway has nothing left; another tenant gets 404, operators 403', async () => {
    const gw = await buyGateway({ chargeType: 'hourly' });
    await db.query(`UPDATE orders SET period_start = now() - interval '2 hours', period_end = now() - interval '1 hour' WHERE gateway_id = $1`, [gw.id]);
    await db.query(
      `UPDATE vpn_gateways SET resource_state = 'expired', expires_at = now() - interval '1 hour', expired_at = now() - interval '1 hour' WHERE id = $1`,
      [gw.id],
    );
    expect(await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`))).toMatchObject({ remainingSeconds: 0, unusedValue: 0, forfeited: 0, refund: 0 });
    const other = await createTenantWorld(api, 'peeker', 11, 1);
    const res = await client(api, other.key).get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`);
    expect(res.status).toBe(404);
    expect(res.body.violations[0]).toMatchObject({ field: 'id', rule: 'exists' });
    expect((await admin.get(`/api/v1/vpn-gateways/${gw.id}/delete-preview`)).status).toBe(403);
  });
});

describe('the sweep', () => {
  it('expires a due gateway (tunnels down, routes withdrawn), a renewal restores it, and its notices go out once', async () => {
    const template = await c.ok(
      c.post('/api/v1/alert-templates', {
        name: 'billing-hooks',
        rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
        channels: [{ type: 'webhook', url: 'https://hooks.example.com/bill', secret: SECRET }],
      }),
      201,
    );
    const gw = await buyGateway({ chargeType: 'hourly' });
    await c.ok(c.put(`/api/v1/vpn-gateways/${gw.id}/alert-template`, { alertTemplateId: template.id }));
    const peer = await c.ok(c.post('/api/v1/peer-gateways', { name: 'site-x', ipAddress: '203.0.113.77' }), 201);
    const tunnel = await c.ok(c.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: ['172.16.77.0/24'] })), 201);
    await db.query("UPDATE vpn_tunnels SET connection_state = 'connected' WHERE id = $1", [tunnel.id]);
    const watched = async () =>
      (await observeTunnels({ query: async (sql: string, p: unknown[]) => (await db.query(sql, p)).rows } as never, new Date(), 60_000)).map(
        (o) => o.resourceId,
      );
    expect(await watched()).toContain(tunnel.id);
    expect(await routesTo(w.subnetIds[0])).toEqual(['172.16.77.0/24']);

    // An hour out: inside the 24 h notice lead time. Two sweeps notify once.
    await sweep();
    await sweep();
    const expiring = await c.ok(c.get(`/api/v1/notifications?resourceId=${gw.id}`));
    expect(expiring.items.map((n: any) => n.event)).toEqual(['expiring']);
    expect(expiring.items[0].message).toContain('expires at');
    const hooks = await c.ok(c.get('/api/v1/webhook-deliveries?limit=100'));
    const mine = hooks.items.filter((d: any) => d.templateId === template.id);
    expect(mine.map((d: any) => d.event)).toEqual(['expiring']);

    await setExpiry(gw.id, new Date(Date.now() - 1000));
    const report = await sweep();
    expect(report.expired).toBe(1);
    expect((await sweep()).expired).toBe(0);
    const expired = await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}`));
    expect(expired).toMatchObject({ resourceState: 'expired' });
    expect(expired.expiredAt).not.toBeNull();
    expect(expired.stateReason).toMatch(/expired at .*renew before/);
    const t = await c.ok(c.get(`/api/v1/vpn-tunnels/${tunnel.id}`));
    expect(t).toMatchObject({ connectionState: 'connecting', failure: { code: 'gateway_expired' } });
    expect(await routesTo(w.subnetIds[0])).toEqual([]);
    const listed = await c.ok(c.get('/api/v1/vpn-gateways?resourceState=expired'));
    expect(listed.items.map((g: any) => g.id)).toContain(gw.id);
    const notices = (await c.ok(c.get(`/api/v1/notifications?resourceId=${gw.id}&sort=createdAt&order=asc`))).items.map((n: any) => n.event);
    expect(notices).toEqual(['expiring', 'expired']);
    // Billing stopped it: no "tunnel down" alerts for it.
    expect(await watched()).not.toContain(tunnel.id);
    // No new tunnels on a stopped gateway: the refusal says to renew, and nothing is created.
    const refused = await c.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: ['172.16.79.0/24'] }));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'gateway_expired', violations: [expect.objectContaining({ field: 'gatewayId', rule: 'gateway_usable' })] });
    expect((await c.ok(c.get(`/api/v1/vpn-tunnels?gatewayId=${gw.id}`))).total).toBe(1);

    // Renewing restores it: back to creating (the worker provisions it and reconnects the tunnels).
    const start = await balance();
    const r = await c.ok(c.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 2 }));
    expect(r.resourceState).toBe('creating');
    // An expired gateway's renewal starts now: the stopped time is not charged.
    expect(new Date(r.order.periodStart).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(new Date(r.expiresAt).getTime() - new Date(r.order.periodStart).getTime()).toBe(2 * HOUR);
    expect(await balance()).toBe(start - 2 * FIXTURE_PRICES.hourly);
    const back = await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}`));
    expect(back).toMatchObject({ resourceState: 'creating', expiredAt: null });
    expect((await c.ok(c.get(`/api/v1/vpn-tunnels/${tunnel.id}`))).failure).toBeNull();
  });

  it("the operator's sweep is not for tenants", async () => {
    expect((await c.post('/api/v1/billing/sweep')).status).toBe(403);
  });

  it('releases an expired gateway at the end of retention: tunnels deleted, addresses freed, history kept', async () => {
    const gw = await buyGateway({ chargeType: 'monthly' });
    const peer = await c.ok(c.post('/api/v1/peer-gateways', { name: 'site-r', ipAddress: '203.0.113.78' }), 201);
    const tunnel = await c.ok(c.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: ['172.16.78.0/24'] })), 201);
    await setExpiry(gw.id, new Date(Date.now() - 1000));
    await sweep();
    expect((await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}`))).resourceState).toBe('expired');
    // Still within retention (168 h by default): kept.
    await db.query("UPDATE vpn_gateways SET expired_at = now() - interval '167 hours' WHERE id = $1", [gw.id]);
    expect((await sweep()).released).toBe(0);
    expect((await c.get(`/api/v1/vpn-gateways/${gw.id}`)).status).toBe(200);
    // The operator shortens retention; the sweep releases it.
    await admin.ok(admin.put('/api/v1/billing/settings', { retentionHours: 24 }));
    await db.query("UPDATE vpn_gateways SET expired_at = now() - interval '25 hours' WHERE id = $1", [gw.id]);
    const report = await sweep();
    expect(report.released).toBe(1);
    await admin.ok(admin.put('/api/v1/billing/settings', { retentionHours: 168 }));
    expect((await c.get(`/api/v1/vpn-gateways/${gw.id}`)).status).toBe(404);
    expect((await c.get(`/api/v1/vpn-tunnels/${tunnel.id}`)).status).toBe(404);
    expect((await c.ok(c.get(`/api/v1/peer-gateways/${peer.id}`))).tunnelCount).toBe(0);
    const eip = (await c.ok(c.get('/api/v1/external-ips?limit=100'))).items.find((e: any) => e.id === gw.externalIp.id);
    expect(eip.boundTo).toBeNull();
    // Its private address is free again: the next gateway in the subnet gets it.
    const next = await buyGateway({ subnetId: gw.subnet.id });
    expect(next.privateIp).toBe(gw.privateIp);
    expect((await c.ok(c.get(`/api/v1/orders?gatewayId=${gw.id}`))).items).toHaveLength(1);
    expect((await c.ok(c.get(`/api/v1/notifications?resourceId=${gw.id}&limit=100`))).items.map((n: any) => n.event)).toContain('released');
    // The renewal of a released gateway: it is gone.
    expect((await c.post(`/api/v1/vpn-gateways/${gw.id}/renew`, { period: 1 })).status).toBe(404);
  });

  it('auto-renewal charges once however often and however concurrently the sweep runs', async () => {
    const gw = await buyGateway({ chargeType: 'monthly' });
    const patched = await c.ok(c.patch(`/api/v1/vpn-gateways/${gw.id}`, { autoRenew: true }));
    expect(patched.autoRenew).toBe(true);
    const due = new Date(Date.now() + 5 * 60_000); // inside the 10-minute auto-renewal lead
    await setExpiry(gw.id, due);
    const start = await balance();
    const reports = await Promise.all([sweep(), sweep(), sweep()]);
    reports.push(await sweep());
    expect(reports.reduce((n, r) => n + r.autoRenewed, 0)).toBe(1);
    const orders = (await c.ok(c.get(`/api/v1/orders?gatewayId=${gw.id}&kind=auto_renewal`))).items;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ period: 1, amount: FIXTURE_PRICES.monthly, quantity: 1 });
    expect(new Date(orders[0].periodStart).toISOString()).toBe(due.toISOString());
    expect(await count("SELECT count(*) AS n FROM ledger_entries WHERE gateway_id = $1 AND kind = 'charge'", [gw.id])).toBe(2); // purchase + one renewal
    expect(await balance()).toBe(start - FIXTURE_PRICES.monthly);
    const after = await c.ok(c.get(`/api/v1/vpn-gateways/${gw.id}`));
    expect(new Date(after.expiresAt).getTime()).toBeGreaterThan(due.getTime() + 27 * 24 * HOUR);
    expect(after.resourceState).not.toBe('expired');
    expect((await c.ok(c.get(`/api/v1/notifications?resourceId=${gw.id}`))).items.map((n: any) => n.event)).toEqual(['renewed']);
  });

  it('auto-renewal without the money notifies once, then the gateway expires when due', async () => {
    const broke = await createTenantWorld(api, 'broke', 7, 1);
    const cb = client(api, broke.key);
    const gw = await cb.ok(cb.post('/api/v1/vpn-gateways', gatewayBody(broke, 0, { chargeType: 'monthly', period: 1 })), 201);
    await cb.ok(cb.patch(`/api/v1/vpn-gateways/${gw.id}`, { autoRenew: true }));
    await db.query('UPDATE accounts SET balance = 100 WHERE tenant_id = $1', [broke.tenantId]);
    await setExpiry(gw.id, new Date(Date.now() + 5 * 60_000));
    const first = await sweep();
    expect(first.autoRenewFailed).toBeGreaterThanOrEqual(1);
    await sweep();
    expect((await cb.ok(cb.get(`/api/v1/vpn-gateways/${gw.id}`))).resourceState).not.toBe('expired');
    const failed = (await cb.ok(cb.get(`/api/v1/notifications?resourceId=${gw.id}`))).items;
    expect(failed.map((n: any) => n.event)).toEqual(['renew_failed']);
    expect(failed[0].message).toMatch(/automatic renewal failed: the order costs 200.00 CNY but the balance is 1.00 CNY/);
    await setExpiry(gw.id, new Date(Date.now() - 1000));
    await sweep();
    expect((await cb.ok(cb.get(`/api/v1/vpn-gateways/${gw.id}`))).resourceState).toBe('expired');
    expect(await count("SELECT count(*) AS n FROM orders WHERE gateway_id = $1 AND kind = 'auto_renewal'", [gw.id])).toBe(0);
    expect(await balance(broke.key)).toBe(100);
  });
});

describe('operator views and settings', () => {
  it('usage covers every tenant; orders and ledger span tenants for operators only', async () => {
    const usage = await admin.ok(admin.get('/api/v1/billing/usage'));
    const payer = usage.items.find((u: any) => u.tenantId === w.tenantId);
    expect(payer).toMatchObject({ tenantName: 'payer', currency: 'CNY', balance: await balance() });
    expect(payer.charged).toBeGreaterThan(0);
    expect(payer.toppedUp).toBeGreaterThanOrEqual(FIXTURE_TOP_UP);
    expect(payer.gateways.expired ?? 0).toBeGreaterThanOrEqual(0);
    expect(usage.items.map((u: any) => u.tenantName)).toEqual(expect.arrayContaining(['payer', 'poor', 'broke']));
    expect((await c.get('/api/v1/billing/usage')).status).toBe(403);
    const all = await admin.ok(admin.get('/api/v1/orders?limit=1000'));
    expect(new Set(all.items.map((o: any) => o.tenantId)).size).toBeGreaterThan(1);
    const mine = await c.ok(c.get('/api/v1/orders?limit=1000'));
    expect(mine.items.every((o: any) => o.tenantId === w.tenantId)).toBe(true);
    const theirs = await c.ok(c.get(`/api/v1/ledger?tenantId=${all.items.find((o: any) => o.tenantId !== w.tenantId).tenantId}`));
    expect(theirs.items.every((l: any) => l.tenantId === w.tenantId)).toBe(true);
  });

  it("orders and the ledger download as Excel, with the list's period filter, in zh or en", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const old = await buyGateway({ chargeType: 'hourly' });
    await db.query("UPDATE orders SET created_at = now() - interval '1 day' WHERE gateway_id = $1", [old.id]);
    const gw = await buyGateway({ chargeType: 'monthly', period: 3 });
    const orders = await sheet(w.key, `/api/v1/orders/export.xlsx?lang=en&from=${encodeURIComponent(from)}&sort=createdAt&order=asc`);
    expect(orders.title).toBe('Orders');
    expect(orders.disposition).toMatch(/filename="orders-\d{4}-\d{2}-\d{2}\.xlsx"/);
    expect(orders.header.slice(0, 3)).toEqual(['Order', 'Time (UTC)', 'Type']);
    const row = orders.data.find((r) => r[5] === gw.id)!;
    expect(row[2]).toBe('Purchase');
    expect(row[6]).toBe('Monthly');
    expect(row.slice(7, 13)).toEqual([1, 3, 200, 600, 0, 'CNY']); // amounts in yuan, from integer fen
    // Orders before `from` are left out.
    const listed = await c.ok(c.get(`/api/v1/orders?from=${encodeURIComponent(from)}&limit=1000`));
    expect(orders.data).toHaveLength(listed.total);
    expect(orders.data.some((r) => r[5] === old.id)).toBe(false);
    expect((await sheet(w.key, '/api/v1/orders/export.xlsx')).data.some((r) => r[5] === old.id)).toBe(true);

    const ledger = await sheet(w.key, `/api/v1/ledger/export.xlsx?lang=zh&gatewayId=${gw.id}`);
    expect(ledger.title).toBe('账户流水');
    expect(ledger.header.slice(0, 5)).toEqual(['流水号', '时间 (UTC)', '类型', '租户', '金额']);
    expect(ledger.data).toHaveLength(1);
    expect(ledger.data[0][2]).toBe('扣费');
    expect(ledger.data[0][4]).toBe(-600);
    // A tenant's export holds only its own entries, whatever tenantId it passes.
    const other = (await admin.ok(admin.get('/api/v1/ledger?limit=1000'))).items.find((l: any) => l.tenantId !== w.tenantId);
    const mine = await sheet(w.key, `/api/v1/ledger/export.xlsx?tenantId=${other.tenantId}`);
    expect(mine.data.every((r) => r[3] === w.tenantId)).toBe(true);
    const bad = await c.get('/api/v1/orders/export.xlsx?limit=5');
    expect(bad.status).toBe(400);
  });

  it('settings: operators read and change, tenants are refused, bad values are refused', async () => {
    expect((await c.get('/api/v1/billing/settings')).status).toBe(403);
    const s = await admin.ok(admin.get('/api/v1/billing/settings'));
    expect(s).toMatchObject({ retentionHours: 168, noticeLeadHours: 24, autoRenewLeadMinutes: 10, currency: 'CNY' });
    expect((await c.put('/api/v1/billing/settings', { retentionHours: 1 })).status).toBe(403);
    const bad = await admin.put('/api/v1/billing/settings', { retentionHours: -1, currency: 'rmb' });
    expect(bad.status).toBe(400);
    expect(bad.body.violations.map((v: any) => v.field)).toContain('retentionHours');
    const changed = await admin.ok(admin.put('/api/v1/billing/settings', { noticeLeadHours: 48 }));
    expect(changed).toMatchObject({ noticeLeadHours: 48, retentionHours: 168 });
    await admin.ok(admin.put('/api/v1/billing/settings', { noticeLeadHours: 24 }));
  });
});
