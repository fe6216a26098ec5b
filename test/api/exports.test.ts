// Excel exports of the VPN lists: the produced .xlsx opened with exceljs (headers in both
// languages, row count, cell values, dates as Date cells, states as words), the list's filters,
// search and sort honoured, the list's 400s, tenant isolation, and never a PSK.
import * as ExcelJS from 'exceljs';
import { Client } from 'pg';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PSK = 'Xp0rt.Never-Shown';

let api: TestApi;
let a: TenantWorld;
let b: TenantWorld;
let ca: ReturnType<typeof client>;
let cb: ReturnType<typeof client>;
const gateways: any[] = [];
const peers: any[] = [];
const tunnels: any[] = [];
let betaTunnelId: string;

/** GET with the raw body as a Buffer (an .xlsx, or an error's JSON). */
async function download(c: ReturnType<typeof client>, path: string, headers: Record<string, string> = {}) {
  const res = await c
    .get(path)
    .set(headers)
    .buffer(true)
    .parse((r: any, cb: (err: Error | null, body: Buffer) => void) => {
      const chunks: Buffer[] = [];
      r.on('data', (d: Buffer) => chunks.push(d));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  return { status: res.status as number, headers: res.headers as Record<string, string>, body: res.body as Buffer };
}

/** The first sheet as rows of cell values (row 1 = headers). */
async function sheet(c: ReturnType<typeof client>, path: string, headers: Record<string, string> = {}) {
  const res = await download(c, path, headers);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.body.toString()}`);
  expect(res.headers['content-type']).toBe(XLSX);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.body as any);
  const ws = wb.worksheets[0];
  const rows: ExcelJS.CellValue[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => {
    rows.push(Array.from({ length: ws.columnCount }, (_, i) => row.getCell(i + 1).value));
  });
  return { ws, rows, header: rows[0], data: rows.slice(1), res };
}

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  try {
    await pg.query(text, params);
  } finally {
    await pg.end();
  }
}

beforeAll(async () => {
  api = await startTestApi();
  a = await createTenantWorld(api, 'alpha', 1, 3);
  b = await createTenantWorld(api, 'beta', 2, 1);
  ca = client(api, a.key);
  cb = client(api, b.key);
  for (let i = 0; i < 3; i++) {
    gateways.push(await ca.ok(ca.post('/api/v1/vpn-gateways', gatewayBody(a, i, { chargeType: i === 2 ? 'hourly' : 'monthly' })), 201));
  }
  peers.push(await ca.ok(ca.post('/api/v1/peer-gateways', { name: 'idc-shanghai', ipAddress: '203.0.113.9' }), 201));
  peers.push(await ca.ok(ca.post('/api/v1/peer-gateways', { name: 'idc-beijing', ipAddress: '203.0.113.10' }), 201));
  for (let g = 0; g < 3; g++) {
    for (let p = 0; p < 2; p++) {
      const body = tunnelBody(gateways[g].id, peers[p].id, a, { name: `t-${g}-${p}`, remoteCidrs: [`172.16.${g * 2 + p}.0/24`], psk: PSK });
      tunnels.push(await ca.ok(ca.post('/api/v1/vpn-tunnels', body), 201));
    }
  }
  // States the worker would set: three connected, one failed in phase 1, the rest connecting.
  await sql(`UPDATE vpn_tunnels SET resource_state = 'running', connection_state = 'connected' WHERE name IN ('t-0-0', 't-1-1', 't-2-0')`);
  await sql(`UPDATE vpn_tunnels SET resource_state = 'running', connection_state = 'phase1_failed' WHERE name = 't-0-1'`);
  await sql(`UPDATE vpn_gateways SET resource_state = 'running' WHERE id = $1`, [gateways[1].id]);

  const gwB = await cb.ok(cb.post('/api/v1/vpn-gateways', gatewayBody(b)), 201);
  const peerB = await cb.ok(cb.post('/api/v1/peer-gateways', { name: 'idc-beta', ipAddress: '203.0.113.20' }), 201);
  betaTunnelId = (await cb.ok(cb.post('/api/v1/vpn-tunnels', tunnelBody(gwB.id, peerB.id, b, { name: 't-beta' })), 201)).id;
  await sql(`UPDATE vpn_tunnels SET connection_state = 'connected' WHERE id = $1`, [betaTunnelId]);
});
afterAll(() => api?.close());

describe('VPN tunnels export', () => {
  it("a filtered, sorted list in English: headers, row count, cell values, the list's order", async () => {
    const query = 'connectionState=connected&sort=name&order=asc';
    const { ws, header, data, res } = await sheet(ca, `/api/v1/vpn-tunnels/export.xlsx?${query}&lang=en`);
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="vpn-tunnels-\d{4}-\d\d-\d\d\.xlsx"; filename\*=UTF-8''VPN%20tunnels-\d{4}-\d\d-\d\d\.xlsx$/,
    );
    expect(ws.name).toBe('VPN tunnels');
    expect(header).toEqual([
      'Name',
      'ID',
      'VPN gateway',
      'VPN gateway IP',
      'Peer gateway',
      'Peer gateway IP',
      'Created (UTC)',
      'Resource state',
      'Connection state',
    ]);
    expect(data).toHaveLength(3);

    const list = await ca.ok(ca.get(`/api/v1/vpn-tunnels?${query}&limit=100`));
    expect(list.total).toBe(3);
    expect(data.map((r) => r[1])).toEqual(list.items.map((t: any) => t.id));
    expect(data.map((r) => r[0])).toEqual(['t-0-0', 't-1-1', 't-2-0']);
    list.items.forEach((t: any, i: number) => {
      const row = data[i];
      expect(row.slice(0, 6)).toEqual([t.name, t.id, t.gateway.name, t.gateway.ip, t.peer.name, t.peer.ip]);
      expect(row[6]).toBeInstanceOf(Date);
      expect((row[6] as Date).toISOString()).toBe(t.createdAt);
      expect(row.slice(7)).toEqual(['Running', 'Connected']);
    });
    expect(ws.getCell('G2').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  it('Chinese from Accept-Language (and by default): headers and state words', async () => {
    const zhHeader = ['名称', '资源 ID', 'VPN 网关', 'VPN 网关 IP', '对端网关', '对端网关 IP', '创建时间 (UTC)', '资源状态', '连接状态'];
    const failed = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?connectionState=phase1_failed', { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' });
    expect(failed.ws.name).toBe('VPN隧道');
    expect(failed.header).toEqual(zhHeader);
    expect(failed.data).toHaveLength(1);
    expect(failed.data[0].slice(0, 1).concat(failed.data[0].slice(7))).toEqual(['t-0-1', '运行', '阶段 1 失败']);
    expect(failed.res.headers['content-disposition']).toContain("filename*=UTF-8''VPN%E9%9A%A7%E9%81%93-");

    const byDefault = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?connectionState=connecting');
    expect(byDefault.header).toEqual(zhHeader);
    expect(byDefault.data.map((r) => r.slice(7))).toEqual([
      ['创建中', '连接中'],
      ['创建中', '连接中'],
    ]);

    const english = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?connectionState=connecting', { 'Accept-Language': 'en-US,en;q=0.9' });
    expect(english.header[0]).toBe('Name');
    // lang wins over the header.
    expect((await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?lang=zh', { 'Accept-Language': 'en' })).header[0]).toBe('名称');
  });

  it('the whole list without filters, newest first like the list; the search and the id filters', async () => {
    const all = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?lang=en');
    const list = await ca.ok(ca.get('/api/v1/vpn-tunnels?limit=100'));
    expect(all.data.map((r) => r[1])).toEqual(list.items.map((t: any) => t.id));
    expect(all.data).toHaveLength(6);

    // q matches the peer's name: every tunnel to idc-beijing, across gateways.
    const searched = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?lang=en&q=BEIJING&sort=name&order=desc');
    expect(searched.data.map((r) => r[0])).toEqual(['t-2-1', 't-1-1', 't-0-1']);
    expect(new Set(searched.data.map((r) => r[5]))).toEqual(new Set(['203.0.113.10']));

    const byGateway = await sheet(ca, `/api/v1/vpn-tunnels/export.xlsx?lang=en&gatewayId=${gateways[1].id}&peerId=${peers[0].id}`);
    expect(byGateway.data.map((r) => r[0])).toEqual(['t-1-0']);

    const none = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?lang=en&q=no-such-tunnel');
    expect(none.rows).toHaveLength(1); // the header row only
  });

  it('never exports the PSK (nor its sealed form)', async () => {
    for (const path of ['vpn-tunnels', 'vpn-gateways', 'peer-gateways']) {
      const res = await download(ca, `/api/v1/${path}/export.xlsx`);
      expect(res.status).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as any);
      const cells: string[] = [];
      wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value)))));
      expect(cells.length).toBeGreaterThan(10);
      expect(cells.join('\n')).not.toContain(PSK);
      expect(cells.join('\n')).not.toMatch(/v1:[0-9a-f]+:/);
    }
  });
});

describe('VPN gateways and peer gateways exports', () => {
  it("gateways: the spec's columns, refs, numbers, dates and words; the state filter", async () => {
    const { header, data } = await sheet(ca, '/api/v1/vpn-gateways/export.xlsx?resourceState=running&lang=en');
    expect(header).toEqual(['Name', 'ID', 'VPC', 'Subnet', 'External IP', 'Tunnels', 'Created (UTC)', 'Expires (UTC)', 'Charge type', 'State']);
    expect(data).toHaveLength(1);
    const g = await ca.ok(ca.get(`/api/v1/vpn-gateways/${gateways[1].id}`));
    expect(data[0].slice(0, 6)).toEqual([g.name, g.id, 'vpc (10.1.0.0/16)', 's1 (10.1.1.0/24)', a.externalIps[1], 2]);
    expect((data[0][6] as Date).toISOString()).toBe(g.createdAt);
    expect((data[0][7] as Date).toISOString()).toBe(g.expiresAt);
    expect(data[0].slice(8)).toEqual(['Monthly', 'Running']);

    const zh = await sheet(ca, '/api/v1/vpn-gateways/export.xlsx?sort=name&order=asc&lang=zh');
    expect(zh.header).toEqual(['名称', '资源 ID', 'VPC', '子网', '外网 IP', '隧道数量', '创建时间 (UTC)', '过期时间 (UTC)', '计费方式', '状态']);
    expect(zh.data.map((r) => [r[0], r[8], r[9]])).toEqual([
      ['gw-0', '按月', '创建中'],
      ['gw-1', '按月', '运行'],
      ['gw-2', '按时', '创建中'],
    ]);
  });

  it('peers: search, sort and columns', async () => {
    const { header, data } = await sheet(ca, '/api/v1/peer-gateways/export.xlsx?q=203.0.113.1&lang=zh');
    expect(header).toEqual(['名称', 'ID', '公网 IP 地址', '隧道数量', '创建时间 (UTC)']);
    expect(data).toHaveLength(1);
    expect(data[0].slice(0, 4)).toEqual(['idc-beijing', peers[1].id, '203.0.113.10', 3]);
    expect((data[0][4] as Date).toISOString()).toBe(peers[1].createdAt);

    const sorted = await sheet(ca, '/api/v1/peer-gateways/export.xlsx?sort=ipAddress&order=asc&lang=en');
    expect(sorted.header[2]).toBe('Public IP');
    expect(sorted.data.map((r) => r[2])).toEqual(['203.0.113.10', '203.0.113.9']);
  });
});

describe('bad parameters and access', () => {
  it.each(['vpn-tunnels', 'vpn-gateways', 'peer-gateways'])("%s: the list's 400 for a bad sort; 400 for paging and an unknown lang", async (path) => {
    const json = async (q: string) => {
      const res = await download(ca, `/api/v1/${path}/export.xlsx?${q}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      return JSON.parse(res.body.toString());
    };
    const badSort = await json('sort=psk');
    const listBadSort = await ca.get(`/api/v1/${path}?sort=psk`);
    expect(badSort).toEqual(listBadSort.body);
    expect(badSort.violations[0]).toMatchObject({ field: 'sort', rule: 'one_of', value: 'psk' });

    expect((await json('lang=fr')).violations[0]).toMatchObject({ field: 'lang', rule: 'isIn', value: 'fr' });
    expect((await json('limit=5')).violations[0]).toMatchObject({ field: 'limit', rule: 'whitelistValidation' });
    expect((await json('order=sideways')).violations[0]).toMatchObject({ field: 'order', rule: 'isIn' });
  });

  it('filters are validated as in the list', async () => {
    const res = await download(ca, '/api/v1/vpn-tunnels/export.xlsx?connectionState=up');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).violations[0]).toMatchObject({ field: 'connectionState', rule: 'isIn', value: 'up' });
  });

  it('each tenant exports only its own rows', async () => {
    const beta = await sheet(cb, '/api/v1/vpn-tunnels/export.xlsx?lang=en');
    expect(beta.data.map((r) => r[1])).toEqual([betaTunnelId]);
    const betaByAlphaGateway = await sheet(cb, `/api/v1/vpn-tunnels/export.xlsx?gatewayId=${gateways[0].id}`);
    expect(betaByAlphaGateway.data).toHaveLength(0);
    const alpha = await sheet(ca, '/api/v1/vpn-tunnels/export.xlsx?q=t-');
    expect(alpha.data.map((r) => r[1])).not.toContain(betaTunnelId);
    expect(alpha.data).toHaveLength(6);
    expect((await sheet(cb, '/api/v1/peer-gateways/export.xlsx')).data.map((r) => r[0])).toEqual(['idc-beta']);
    expect((await sheet(cb, '/api/v1/vpn-gateways/export.xlsx')).data).toHaveLength(1);
  });

  it('operators get 403 and callers without a key 401, as on the list', async () => {
    const admin = client(api, api.adminKey);
    const asOperator = await download(admin, '/api/v1/vpn-tunnels/export.xlsx');
    expect(asOperator.status).toBe(403);
    expect((await api.http().get('/api/v1/vpn-gateways/export.xlsx')).status).toBe(401);
  });

  it('does not shadow a real id route: GET /vpn-tunnels/{id} still answers', async () => {
    expect((await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnels[0].id}`))).id).toBe(tunnels[0].id);
  });
});

describe("VPN tunnel list search (issue 20: one statement for page, total and rows; the export's rows are the same)", () => {
  const names = async (query: string) => {
    const list = await ca.ok(ca.get(`/api/v1/vpn-tunnels?${query}&sort=name&order=asc&limit=100`));
    const { data } = await sheet(ca, `/api/v1/vpn-tunnels/export.xlsx?${query}&sort=name&order=asc&lang=en`);
    expect(data.map((r) => r[1])).toEqual(list.items.map((t: any) => t.id));
    expect(list.items).toHaveLength(list.total);
    return list.items.map((t: any) => t.name);
  };

  it('q matches the name and id, the gateway name and IP, the peer name and IP, case-insensitively, within the tenant', async () => {
    expect(await names('q=T-1-')).toEqual(['t-1-0', 't-1-1']);
    expect(await names(`q=${tunnels[3].id.slice(-6).toUpperCase()}`)).toEqual([tunnels[3].name]);
    expect(await names('q=GW-2')).toEqual(['t-2-0', 't-2-1']);
    expect(await names(`q=${a.externalIps[0]}`)).toEqual(['t-0-0', 't-0-1']);
    expect(await names('q=198.51.100.2')).toEqual(['t-0-0', 't-0-1', 't-1-0', 't-1-1', 't-2-0', 't-2-1']);
    expect(await names('q=Beijing')).toEqual(['t-0-1', 't-1-1', 't-2-1']);
    expect(await names('q=203.0.113.9')).toEqual(['t-0-0', 't-1-0', 't-2-0']);
    // Another tenant's tunnel, gateway address and peer are never matched; LIKE wildcards are literal.
    for (const q of ['t-beta', 'idc-beta', b.externalIps[0], '%25', '_']) expect(await names(`q=${q}`)).toEqual([]);
  });

  it('search, filters, sort and paging together: the exact total on every page, the same order as the whole list', async () => {
    expect(await names('q=beijing&connectionState=connected')).toEqual(['t-1-1']);
    expect(await names(`q=idc&gatewayId=${gateways[2].id}`)).toEqual(['t-2-0', 't-2-1']);
    const page = await ca.ok(ca.get('/api/v1/vpn-tunnels?q=idc&sort=name&order=desc&limit=2&offset=2'));
    expect(page).toMatchObject({ total: 6, offset: 2, limit: 2 });
    expect(page.items.map((t: any) => t.name)).toEqual(['t-1-1', 't-1-0']);
    expect(page.items[0]).toMatchObject({
      gateway: { id: gateways[1].id, name: 'gw-1', ip: a.externalIps[1] },
      peer: { id: peers[1].id, name: 'idc-beijing', ip: '203.0.113.10' },
    });
    expect(page.items[0].localSubnets).toEqual([{ id: a.subnetIds[0], name: 's1', cidr: '10.1.1.0/24' }]);
    expect(await ca.ok(ca.get('/api/v1/vpn-tunnels?q=idc&limit=2&offset=6'))).toMatchObject({ total: 6, items: [] });
    expect(await ca.ok(ca.get('/api/v1/vpn-tunnels?q=no-such&limit=2&offset=0'))).toMatchObject({ total: 0, items: [] });
  });
});
