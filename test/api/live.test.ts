// The console's live-update API: GET /me (who the key is) and GET /changes (a version per topic),
// and each tunnel's stateChangedAt, moved only by real state changes reported by the worker's store.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import * as ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let t: ReturnType<typeof client>;
let store: NegotiationStore;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'live', 1, 2);
  t = client(api, w.key);
  store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)));
});
afterAll(() => api?.close());

const versions = async (key = w.key) => (await client(api, key).ok(client(api, key).get('/api/v1/changes'))).versions as Record<string, string>;

describe('GET /api/v1/me', () => {
  it('names the role and tenant of a tenant key', async () => {
    expect(await t.ok(t.get('/api/v1/me'))).toMatchObject({ role: 'tenant', tenantId: w.tenantId, tenantName: 'live', keyName: 'test' });
  });

  it('says operator with no tenant for an operator key, and 401 without a key', async () => {
    const admin = client(api, api.adminKey);
    expect(await admin.ok(admin.get('/api/v1/me'))).toMatchObject({ role: 'admin', tenantId: null, tenantName: null });
    expect((await api.http().get('/api/v1/me')).status).toBe(401);
  });
});

describe('GET /api/v1/changes and stateChangedAt', () => {
  let tunnelId: string;
  let version: number;

  it('moves only the topic that changed', async () => {
    const before = await versions();
    expect(Object.keys(before).sort()).toEqual(['alerts', 'gateways', 'peers', 'tunnels']);
    await t.ok(t.post('/api/v1/peer-gateways', { name: 'hq', ipAddress: '203.0.113.10' }), 201);
    const after = await versions();
    expect(after.peers).not.toBe(before.peers);
    expect(after.tunnels).toBe(before.tunnels);
    expect(after.gateways).toBe(before.gateways);
  });

  it('moves the tunnels topic when the worker reports a new state, and stamps stateChangedAt', async () => {
    const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201);
    const peer = (await t.ok(t.get('/api/v1/peer-gateways'))).items[0];
    const created = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w)), 201);
    tunnelId = created.id;
    version = created.configVersion;
    expect(Date.parse(created.stateChangedAt)).toBeGreaterThan(Date.now() - 60_000);

    const before = await versions();
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.setConnection(tunnelId, version, 'connected', null)).toBe(true);
    expect((await versions()).tunnels).not.toBe(before.tunnels);
    const connected = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(connected.connectionState).toBe('connected');
    expect(Date.parse(connected.stateChangedAt)).toBeGreaterThan(Date.parse(created.stateChangedAt));
    // The list carries it too (the list's "since" column).
    const listed = (await t.ok(t.get('/api/v1/vpn-tunnels'))).items.find((x: { id: string }) => x.id === tunnelId);
    expect(listed.stateChangedAt).toBe(connected.stateChangedAt);
  });

  it('keeps stateChangedAt when the same state is reported again, moves it when the reason changes', async () => {
    const first = (await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`))).stateChangedAt;
    await new Promise((r) => setTimeout(r, 20));
    await store.setConnection(tunnelId, version, 'connected', null);
    expect((await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`))).stateChangedAt).toBe(first);

    await store.setConnection(tunnelId, version, 'phase1_failed', { code: 'peer_unreachable', message: 'no answer', phase: 1, tries: 3 });
    const down = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(Date.parse(down.stateChangedAt)).toBeGreaterThan(Date.parse(first));
    expect(down.failure).toMatchObject({ code: 'peer_unreachable' });
    await new Promise((r) => setTimeout(r, 20));
    await store.setConnection(tunnelId, version, 'phase1_failed', { code: 'psk_mismatch_or_id_mismatch', message: 'auth failed', phase: 1, tries: 4 });
    const other = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(Date.parse(other.stateChangedAt)).toBeGreaterThan(Date.parse(down.stateChangedAt));
  });

  it('sorts the list by stateChangedAt (the NOC\'s "what changed last")', async () => {
    const res = await t.get('/api/v1/vpn-tunnels?sort=stateChangedAt&order=desc');
    expect(res.status).toBe(200);
    expect(res.body.items[0].id).toBe(tunnelId);
  });

  it("gives operators their own topics and never a tenant's", async () => {
    const v = await versions(api.adminKey);
    expect(Object.keys(v).sort()).toEqual(['gateways', 'hosts', 'tenants']);
    expect(v.gateways.startsWith('1.')).toBe(true);
  });
});

describe('GET /api/v1/vpn-tunnels/{id}/logs: collapse and filters', () => {
  let tunnelId: string;
  let logGatewayId: string;
  const base = Date.parse('2026-01-01T21:00:00Z');
  beforeAll(async () => {
    const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 1, { name: 'gw-log' })), 201);
    logGatewayId = gw.id;
    const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'log-peer', ipAddress: '203.0.113.20' }), 201);
    tunnelId = (await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { name: 'log', remoteCidrs: ['172.16.9.0/24'] })), 201)).id;
    const ds = api.app.get<DataSource>(getDataSourceToken());
    // connected, then 40 identical unreachable failures from 21:02, 2 PSK failures, 3 more unreachable.
    const rows: [number, string, string | null, string | null, string][] = [[0, 'connected', null, null, 'CHILD_SA installed']];
    for (let i = 0; i < 40; i++) rows.push([120 + i * 12, 'attempt', 'failure', 'peer_unreachable', 'the peer does not answer']);
    for (let i = 0; i < 2; i++) rows.push([700 + i * 12, 'attempt', 'failure', 'psk_mismatch_or_id_mismatch', 'AUTHENTICATION_FAILED from 203.0.113.20']);
    for (let i = 0; i < 3; i++) rows.push([800 + i * 12, 'attempt', 'failure', 'peer_unreachable', 'the peer does not answer']);
    for (const [s, kind, result, reason, message] of rows) {
      await ds.query(
        `INSERT INTO tunnel_events (tunnel_id, at, kind, result, phase, reason_code, message, config_version, lines)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)`,
        [tunnelId, new Date(base + s * 1000), kind, result, result ? 1 : null, reason, message, [`line for ${message}`]],
      );
    }
  });
  const logs = (query: string) => t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}/logs?${query}`));

  it('collapse=true folds each run of identical attempts into one entry with its count and first time', async () => {
    const page = await logs('collapse=true');
    expect(page.total).toBe(4);
    expect(page.items.map((e: any) => [e.reasonCode, e.repeats])).toEqual([
      ['peer_unreachable', 3],
      ['psk_mismatch_or_id_mismatch', 2],
      ['peer_unreachable', 40],
      [null, 1],
    ]);
    const run = page.items[2];
    expect(run.firstAt).toBe(new Date(base + 120_000).toISOString());
    expect(run.at).toBe(new Date(base + (120 + 39 * 12) * 1000).toISOString());
    // Uncollapsed (the default) every entry stands for itself.
    const plain = await logs('limit=5');
    expect(plain.total).toBe(46);
    expect(plain.items.every((e: any) => e.repeats === 1 && e.firstAt === e.at)).toBe(true);
  });

  it('filters by reason code, result, kind, time and text before collapsing', async () => {
    const unreachable = await logs('collapse=true&reasonCode=peer_unreachable');
    expect(unreachable.items.map((e: any) => e.repeats)).toEqual([43]); // the PSK failures filtered out: one run
    expect((await logs('kind=connected')).items.map((e: any) => e.kind)).toEqual(['connected']);
    expect((await logs('result=failure')).total).toBe(45);
    expect((await logs(`from=${new Date(base + 790_000).toISOString()}`)).total).toBe(3);
    expect((await logs(`to=${new Date(base + 60_000).toISOString()}`)).total).toBe(1);
    const text = await logs('q=authentication_failed');
    expect(text.total).toBe(2);
    expect(text.items[0].reasonCode).toBe('psk_mismatch_or_id_mismatch');
    expect((await logs('collapse=true&offset=10')).total).toBe(4); // past the end still counts
  });

  it('refuses a bad filter with a 400 naming the field', async () => {
    for (const [query, field] of [
      ['kind=nope', 'kind'],
      ['result=maybe', 'result'],
      ['from=yesterday', 'from'],
      ['collapse=yes', 'collapse'],
    ]) {
      const res = await t.get(`/api/v1/vpn-tunnels/${tunnelId}/logs?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.violations.map((v: any) => v.field)).toContain(field);
    }
  });

  /** The export's first sheet as rows of cell values (row 1 = headers). */
  async function exported(query: string, id = tunnelId) {
    const res = await t
      .get(`/api/v1/vpn-tunnels/${id}/logs/export.xlsx?${query}`)
      .buffer(true)
      .parse((r: any, cb: (err: Error | null, body: Buffer) => void) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${res.body.toString()}`);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as any);
    const ws = wb.worksheets[0];
    const rows: ExcelJS.CellValue[][] = [];
    ws.eachRow((row) => rows.push(Array.from({ length: ws.columnCount }, (_, i) => row.getCell(i + 1).value)));
    return { name: ws.name, header: rows[0].map(String), data: rows.slice(1), disposition: String(res.headers['content-disposition']) };
  }

  it("exports the log to Excel with the log tab's filters and collapse: one row per entry, newest first", async () => {
    const all = await exported('lang=en');
    expect(all.header).toEqual([
      'Time (UTC)',
      'First at (UTC)',
      'Repeats',
      'Kind',
      'Result',
      'Phase',
      'Reason code',
      'Message',
      'Configuration version',
      'charon lines',
    ]);
    expect(all.data).toHaveLength(46);
    expect(all.disposition).toMatch(/filename="tunnel-log-\d{4}-\d{2}-\d{2}\.xlsx"/);
    // Collapsed and filtered exactly as the page: the three runs of failures, with their counts.
    const runs = await exported('lang=en&collapse=true&result=failure');
    expect(runs.data.map((r) => [r[2], r[3], r[4], r[6]])).toEqual([
      [3, 'Attempt', 'Failure', 'peer_unreachable'],
      [2, 'Attempt', 'Failure', 'psk_mismatch_or_id_mismatch'],
      [40, 'Attempt', 'Failure', 'peer_unreachable'],
    ]);
    const longRun = runs.data[2];
    expect(longRun[0]).toEqual(new Date(base + (120 + 39 * 12) * 1000));
    expect(longRun[1]).toEqual(new Date(base + 120_000));
    expect(longRun[9]).toBe('line for the peer does not answer');
    const byReason = await exported('reasonCode=psk_mismatch_or_id_mismatch&lang=zh');
    expect(byReason.name).toBe('连接日志');
    expect(byReason.header[3]).toBe('类型');
    expect(byReason.data.map((r) => [r[3], r[4]])).toEqual([
      ['协商', '失败'],
      ['协商', '失败'],
    ]);
    expect((await exported(`q=authentication_failed&to=${new Date(base + 60_000).toISOString()}`)).data).toHaveLength(0);
  });

  it('exports a log longer than one read (450 entries) whole and in order', async () => {
    const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'log-peer-long', ipAddress: '203.0.113.21' }), 201);
    const id = (await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(logGatewayId, peer.id, w, { name: 'log-long', remoteCidrs: ['172.16.10.0/24'] })), 201)).id;
    const ds = api.app.get<DataSource>(getDataSourceToken());
    await ds.query(
      `INSERT INTO tunnel_events (tunnel_id, at, kind, result, phase, reason_code, message, config_version, lines)
                    SELECT $1, $2::timestamptz + n * interval '1 second', 'attempt', 'failure', 1, 'peer_unreachable', 'try ' || n, 1, ARRAY['line ' || n]
                      FROM generate_series(1, 450) n`,
      [id, new Date(base)],
    );
    const sheet = await exported('lang=en&kind=attempt', id);
    expect(sheet.data).toHaveLength(450);
    expect(sheet.data.map((r) => r[7])).toEqual(Array.from({ length: 450 }, (_, i) => `try ${450 - i}`));
    expect((await exported('lang=en&kind=attempt&collapse=true', id)).data.map((r) => r[2])).toEqual([450]);
  });

  it("the export refuses bad filters and paging with a 400 naming the field, and another tenant's tunnel with a 404", async () => {
    for (const [query, field] of [
      ['kind=nope', 'kind'],
      ['from=yesterday', 'from'],
      ['offset=20', 'offset'],
      ['lang=fr', 'lang'],
    ]) {
      const res = await t.get(`/api/v1/vpn-tunnels/${tunnelId}/logs/export.xlsx?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.violations.map((v: any) => v.field)).toContain(field);
    }
    const other = await createTenantWorld(api, 'live-other', 3, 0);
    const res = await client(api, other.key).get(`/api/v1/vpn-tunnels/${tunnelId}/logs/export.xlsx`);
    expect(res.status).toBe(404);
  });
});

describe('GET /api/v1/overview', () => {
  it('counts by state, lists the failing tunnels with their reason, expiring gateways and the topology', async () => {
    const ds = api.app.get<DataSource>(getDataSourceToken());
    const o = await t.ok(t.get('/api/v1/overview'));
    const tunnels = (await t.ok(t.get('/api/v1/vpn-tunnels?limit=100'))).items;
    expect(Object.values(o.tunnelsByState).reduce((a: number, b: any) => a + b, 0)).toBe(tunnels.length);
    expect(Object.keys(o.gatewaysByState).sort()).toEqual(['creating', 'deleting', 'error', 'expired', 'running']);
    // The tunnel the store put in phase1_failed (psk) is failing, with its reason; a never-connected connecting one is not.
    const failed = tunnels.filter((x: any) => x.connectionState === 'phase1_failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(o.failingTotal).toBe(failed.length);
    expect(o.failing[0]).toMatchObject({
      id: failed[0].id,
      connectionState: 'phase1_failed',
      failure: { code: 'psk_mismatch_or_id_mismatch' },
      peerIp: '203.0.113.10',
    });
    // A gateway expiring in 2 days shows; one in 20 days does not.
    const gateways = (await t.ok(t.get('/api/v1/vpn-gateways'))).items;
    await ds.query(`UPDATE vpn_gateways SET expires_at = now() + interval '2 days' WHERE id = $1`, [gateways[0].id]);
    await ds.query(`UPDATE vpn_gateways SET expires_at = now() + interval '20 days' WHERE id <> $1 AND tenant_id = $2`, [gateways[0].id, w.tenantId]);
    const after = await t.ok(t.get('/api/v1/overview'));
    expect(after.expiringSoon.map((g: any) => g.id)).toEqual([gateways[0].id]);
    expect(after.topology.gateways.length).toBe(gateways.length);
    expect(after.topology.tunnels.length).toBe(tunnels.length);
    expect(after.topology.vpcs).toEqual([expect.objectContaining({ id: w.vpcId })]);
    expect(new Set(after.topology.tunnels.map((x: any) => x.peerId))).toEqual(new Set(tunnels.map((x: any) => x.peer.id)));
  });

  it('a tunnel that dropped and is reconnecting is failing; one negotiating for the first time is not', async () => {
    const ds = api.app.get<DataSource>(getDataSourceToken());
    const [fresh] = await ds.query(
      `SELECT id, config_version FROM vpn_tunnels WHERE tenant_id = $1 AND connection_state = 'connecting' AND disconnected_at IS NULL ORDER BY id LIMIT 1`,
      [w.tenantId],
    );
    const failing = async () => (await t.ok(t.get('/api/v1/overview'))).failing.map((x: any) => x.id);
    expect(await failing()).not.toContain(fresh.id);
    await store.setConnection(fresh.id, fresh.config_version, 'connected', null);
    await store.setConnection(fresh.id, fresh.config_version, 'connecting', null);
    const o = await t.ok(t.get('/api/v1/overview'));
    expect(o.failing.map((x: any) => x.id)).toContain(fresh.id);
    expect(o.failing.find((x: any) => x.id === fresh.id)).toMatchObject({
      connectionState: 'connecting',
      connectedAt: null,
      disconnectedAt: expect.any(String),
    });
  });

  it('is a tenant page: operators get 403', async () => {
    expect((await client(api, api.adminKey).get('/api/v1/overview')).status).toBe(403);
  });
});
