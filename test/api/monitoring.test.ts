// Monitoring over HTTP and SQL: the chart series (windows, buckets, aggregation, validation,
// tenant scoping), /metrics (content, staleness, token) and the worker's sample SQL (the one-insert
// round, totals, retention) on a real PostgreSQL.
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { SampleStore } from '../../src/monitoring/sample-store.queries';
import { DEFAULT_GATEWAY_BANDWIDTH_MBPS } from '../../src/vpn/gateways/vpn-gateway.entity';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let a: TenantWorld;
let ca: ReturnType<typeof client>;
let cb: ReturnType<typeof client>;
let pg: Client;
let gatewayId: string;
let tunnelId: string;
let staleTunnelId: string;
const NOW = Date.now();

beforeAll(async () => {
  api = await startTestApi();
  a = await createTenantWorld(api, 'mon-a', 1);
  const b = await createTenantWorld(api, 'mon-b', 2);
  ca = client(api, a.key);
  cb = client(api, b.key);
  gatewayId = (await ca.ok(ca.post('/api/v1/vpn-gateways', gatewayBody(a)), 201)).id;
  const peer = (await ca.ok(ca.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.9' }), 201)).id;
  const peer2 = (await ca.ok(ca.post('/api/v1/peer-gateways', { name: 'p2', ipAddress: '203.0.113.19' }), 201)).id;
  tunnelId = (await ca.ok(ca.post('/api/v1/vpn-tunnels', tunnelBody(gatewayId, peer, a)), 201)).id;
  staleTunnelId = (await ca.ok(ca.post('/api/v1/vpn-tunnels', tunnelBody(gatewayId, peer2, a, { name: 't2', remoteCidrs: ['172.16.2.0/24'] })), 201)).id;
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  // 2 hours of 10-s samples up to now: 80 kbit/s in, 160 kbit/s out, down (health 0) during minutes 30-35 ago;
  // counters grow by 10 kB / 20 kB per sample. Plus one sample 3 days ago and the stale tunnel's last sample 10 minutes ago.
  await pg.query(
    `INSERT INTO tunnel_samples (tunnel_id, at, tenant_id, gateway_id, health, bytes_in, bytes_out, packets_in, packets_out, bps_in, bps_out, pps_in, pps_out, ike_state, child_state)
     SELECT $1, to_timestamp($3 / 1000.0) - make_interval(secs => i * 10), $2, $4, CASE WHEN i BETWEEN 180 AND 210 THEN 0 ELSE 1 END,
            (720 - i) * 10000, (720 - i) * 20000, (720 - i) * 10, (720 - i) * 20, 8000, 16000, 1, 2, 'ESTABLISHED', 'INSTALLED'
       FROM generate_series(0, 719) AS i`,
    [tunnelId, a.tenantId, NOW, gatewayId],
  );
  await pg.query(
    `INSERT INTO tunnel_samples (tunnel_id, at, tenant_id, gateway_id, health, bytes_in, bytes_out, packets_in, packets_out, bps_in, bps_out, pps_in, pps_out, ike_state, child_state)
     VALUES ($1, now() - interval '3 days', $2, $3, 1, 1, 1, 1, 1, 999999, 999999, 1, 1, 'ESTABLISHED', 'INSTALLED'),
            ($4, now() - interval '10 minutes', $2, $3, 1, 5, 5, 5, 5, 5, 5, 5, 5, 'ESTABLISHED', 'INSTALLED')`,
    [tunnelId, a.tenantId, gatewayId, staleTunnelId],
  );
  await pg.query(
    `INSERT INTO gateway_samples (gateway_id, at, tenant_id, rx_bytes, tx_bytes, rx_packets, tx_packets, rx_bps, tx_bps, rx_pps, tx_pps, tx_utilization)
     SELECT $1, to_timestamp($3 / 1000.0) - make_interval(secs => i * 10), $2, (360 - i) * 1000, (360 - i) * 62500, 360 - i, 360 - i, 800, 50000000, 0.1, 0.1, 0.5
       FROM generate_series(0, 359) AS i`,
    [gatewayId, a.tenantId, NOW],
  );
  await pg.query(`INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at) VALUES ('mon-host-1', 'h', 5, now())`);
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
});

describe('GET /api/v1/vpn-tunnels/{id}/metrics', () => {
  it('range=1h: 10-s buckets, at most 360 points, the stored rates, health and monotonic counters', async () => {
    const m = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?range=1h`));
    expect(m).toMatchObject({ tunnelId, stepSeconds: 10 });
    expect(Date.parse(m.to) - Date.parse(m.from)).toBeGreaterThanOrEqual(3590_000);
    for (const name of ['bpsIn', 'bpsOut', 'ppsIn', 'ppsOut', 'health', 'bytesIn', 'bytesOut', 'packetsIn', 'packetsOut']) {
      expect(m.series[name].length).toBeGreaterThan(350);
      expect(m.series[name].length).toBeLessThanOrEqual(360);
    }
    expect(new Set(m.series.bpsIn.map(([, v]: number[]) => v))).toEqual(new Set([8000]));
    expect(m.series.bpsOut[0][1]).toBe(16000);
    const health = m.series.health.map(([, v]: number[]) => v);
    expect(health.filter((v: number) => v === 0).length).toBe(31);
    const ts = m.series.bytesIn.map(([t]: number[]) => t);
    expect(ts.every((t: number, i: number) => t % 10_000 === 0 && (i === 0 || t - ts[i - 1] === 10_000))).toBe(true);
    const bytes = m.series.bytesIn.map(([, v]: number[]) => v);
    expect(bytes.every((v: number, i: number) => i === 0 || v > bytes[i - 1])).toBe(true);
  });

  it('range=1d: 240-s buckets averaging the samples; the outage shows as partial health', async () => {
    const m = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?range=1d`));
    expect(m.stepSeconds).toBe(240);
    expect(m.series.bpsIn.length).toBeLessThanOrEqual(360);
    expect(m.series.bpsIn.length).toBeGreaterThanOrEqual(30); // 2 h of data
    expect(m.series.bpsIn.every(([, v]: number[]) => v === 8000)).toBe(true); // the 3-day-old sample is outside
    const health = m.series.health.map(([, v]: number[]) => v);
    expect(Math.min(...health)).toBeLessThan(1);
    expect(health.some((v: number) => v > 0 && v < 1)).toBe(true);
  });

  it("agg=max: each bucket's peak instead of its average (the outage minutes read as up in a 4-min bucket), and agg is checked", async () => {
    const avg = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?range=1d`));
    const max = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?range=1d&agg=max`));
    expect(avg.aggregate).toBe('avg');
    expect(max.aggregate).toBe('max');
    expect(max.series.health.map(([t]: number[]) => t)).toEqual(avg.series.health.map(([t]: number[]) => t));
    // Buckets that mixed up and down samples average below 1 but peak at 1.
    const mixed = avg.series.health.filter(([, v]: number[]) => v > 0 && v < 1).map(([t]: number[]) => t);
    expect(mixed.length).toBeGreaterThan(0);
    for (const t of mixed) expect(max.series.health.find(([x]: number[]) => x === t)[1]).toBe(1);
    expect(max.series.bytesIn).toEqual(avg.series.bytesIn); // counters: the bucket's last either way
    const bad = await ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?range=1h&agg=p99`);
    expect(bad.status).toBe(400);
    expect(bad.body.violations[0]).toMatchObject({ field: 'agg', value: 'p99' });
  });

  it('from/to: a custom window', async () => {
    const from = new Date(NOW - 30 * 60_000).toISOString();
    const to = new Date(NOW - 10 * 60_000).toISOString();
    const m = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?from=${from}&to=${to}`));
    expect(m.stepSeconds).toBe(10);
    expect(m.series.health.length).toBeGreaterThanOrEqual(119);
    expect(m.series.health.length).toBeLessThanOrEqual(121);
    const wide = await ca.ok(ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?from=${new Date(NOW - 4 * 86400_000).toISOString()}`));
    expect(wide.stepSeconds).toBe(1200);
    expect(wide.series.bpsIn[0][1]).toBe(999999); // the old sample, alone in its bucket
  });

  it('refuses invalid windows with every broken rule', async () => {
    const cases: [string, string[]][] = [
      ['range=1h&from=2025-01-01T00:00:00Z', ['range:exclusive']],
      ['range=2h', ['range:one_of']],
      ['to=2025-01-01T00:00:00Z', ['to:requires_from']],
      ['from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', ['from:before_to']],
      ['from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z', ['to:max_31_days']],
      ['from=tomorrow', ['from:iso8601']],
    ];
    for (const [query, expected] of cases) {
      const res = await ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.violations.map((v: any) => `${v.field}:${v.rule}`)).toEqual(expected);
    }
    expect((await ca.get(`/api/v1/vpn-tunnels/${tunnelId}/metrics?step=5`)).status).toBe(400); // unknown parameter
  });

  it("another tenant's tunnel or gateway answers 404, like a missing one", async () => {
    for (const path of [`vpn-tunnels/${tunnelId}`, `vpn-gateways/${gatewayId}`]) {
      const res = await cb.get(`/api/v1/${path}/metrics`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    expect((await ca.get('/api/v1/vpn-tunnels/vpntnl-nothere/metrics')).status).toBe(404);
    expect((await client(api, api.adminKey).get(`/api/v1/vpn-tunnels/${tunnelId}/metrics`)).status).toBe(403);
  });
});

describe('a gateway bandwidth above what one charon carries', () => {
  it('is not for sale: a create or an edit naming bandwidthMbps is refused with the field named, nothing stored', async () => {
    const created = await ca.post('/api/v1/vpn-gateways', { ...gatewayBody(a), name: 'bw-gw', bandwidthMbps: 1000 });
    expect(created.status).toBe(400);
    expect(created.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'bandwidthMbps', rule: 'whitelistValidation' })]));
    const edited = await ca.patch(`/api/v1/vpn-gateways/${gatewayId}`, { bandwidthMbps: 1000 });
    expect(edited.status).toBe(400);
    expect(edited.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'bandwidthMbps', rule: 'whitelistValidation' })]));
    const rows = await pg.query('SELECT name, bandwidth_mbps FROM vpn_gateways WHERE tenant_id = $1 ORDER BY name', [a.tenantId]);
    expect(rows.rows.map((r: { name: string }) => r.name)).not.toContain('bw-gw');
    expect(rows.rows.every((r: { bandwidth_mbps: number }) => r.bandwidth_mbps === DEFAULT_GATEWAY_BANDWIDTH_MBPS)).toBe(true);
  });
});

describe('GET /api/v1/vpn-gateways/{id}/metrics', () => {
  it('NIC rates and utilisation of the gateway bandwidth', async () => {
    const m = await ca.ok(ca.get(`/api/v1/vpn-gateways/${gatewayId}/metrics?range=6h`));
    // A new gateway is sold with what one charon carries (issue 20), no longer the 100 Mbit/s placeholder.
    expect(DEFAULT_GATEWAY_BANDWIDTH_MBPS).toBe(300);
    expect(m).toMatchObject({ gatewayId, bandwidthMbps: DEFAULT_GATEWAY_BANDWIDTH_MBPS, stepSeconds: 60 });
    expect(m.series.txBps.every(([, v]: number[]) => v === 50_000_000)).toBe(true);
    expect(m.series.txUtilization[0][1]).toBe(0.5);
    expect(Object.keys(m.series).sort()).toEqual(['rxBps', 'rxBytes', 'rxPackets', 'rxPps', 'txBps', 'txBytes', 'txPackets', 'txPps', 'txUtilization']);
  });
});

describe('GET /metrics', () => {
  it('refuses callers without an operator key: no key, a tenant key, a wrong key (401)', async () => {
    for (const auth of [undefined, `Bearer ${a.key}`, 'Bearer wrong-0123456789']) {
      const req = api.http().get('/metrics');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('vpn_tunnel_up');
    }
  });

  it('with an operator key, exposes the latest sample of each live resource, host heartbeats, queue depths and process metrics', async () => {
    const res = await api.http().get('/metrics').set('Authorization', `Bearer ${api.adminKey}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const l = `tenant="${a.tenantId}",gateway="${gatewayId}",tunnel="${tunnelId}"`;
    expect(res.text).toContain(`vpn_tunnel_up{${l}} 1`);
    expect(res.text).toContain(`vpn_tunnel_receive_bytes_total{${l}} 7200000`);
    expect(res.text).toContain(`vpn_tunnel_transmit_bits_per_second{${l}} 16000`);
    expect(res.text).toContain(`vpn_tunnel_sa_state_info{${l},ike_state="ESTABLISHED",child_state="INSTALLED"} 1`);
    expect(res.text).not.toContain(staleTunnelId); // its latest sample is 10 minutes old
    expect(res.text).toContain(`vpn_gateway_transmit_utilization_ratio{tenant="${a.tenantId}",gateway="${gatewayId}"} 0.5`);
    expect(res.text).toContain(
      `vpn_gateway_bandwidth_bits_per_second{tenant="${a.tenantId}",gateway="${gatewayId}"} ${DEFAULT_GATEWAY_BANDWIDTH_MBPS * 1_000_000}`,
    );
    expect(res.text).toMatch(/vpn_gateway_host_last_seen_timestamp_seconds\{host="mon-host-1"\} \d+/);
    expect(res.text).toContain('vpn_job_queue_jobs{host="mon-host-1",queue="host.mon-host-1",state="waiting"} 0');
    expect(res.text).toContain('vpn_metrics_source_up{source="database"} 1');
    expect(res.text).toContain('# TYPE vpn_tunnel_receive_bytes_total counter');
    expect(res.text).toMatch(/process_cpu_seconds_total \d/);
    expect(res.text).toMatch(/nodejs_heap_size_used_bytes \d/);
  });

  it('with METRICS_TOKEN set, takes it (or an operator key) as a bearer token', async () => {
    const guarded = await startTestApi({ METRICS_TOKEN: 'scrape-token-0123456789' });
    try {
      expect((await guarded.http().get('/metrics')).status).toBe(401);
      expect((await guarded.http().get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
      const ok = await guarded.http().get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('vpn_metrics_source_up');
      expect((await guarded.http().get('/metrics').set('Authorization', `Bearer ${guarded.adminKey}`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe("the worker's sample SQL", () => {
  let db: DataSource;
  beforeAll(async () => {
    db = new DataSource(dataSourceOptions(api.databaseUrl));
    await db.initialize();
  });
  afterAll(() => db?.destroy());

  it('one statement writes a round of both tables; totals continue from the latest sample', async () => {
    const store = new SampleStore(db);
    const totals = await store.lastTotals('tunnel_samples', [tunnelId, 'vpntnl-none']);
    expect([...totals.keys()]).toEqual([tunnelId]);
    expect(totals.get(tunnelId)).toEqual({ bytesIn: 7_200_000, bytesOut: 14_400_000, packetsIn: 7200, packetsOut: 14_400 });
    const at = new Date(NOW + 10_000);
    const rates = { bpsIn: 1.5, bpsOut: 2.5, ppsIn: 0.25, ppsOut: 0 };
    await store.insertRound(
      at,
      [{ gatewayId, tenantId: a.tenantId, totals: { bytesIn: 1, bytesOut: 2, packetsIn: 3, packetsOut: 4 }, ...rates, txUtilization: 0.01 }],
      [
        {
          tunnelId,
          tenantId: a.tenantId,
          gatewayId,
          health: 1,
          totals: { bytesIn: 7_300_000, bytesOut: 14_400_000, packetsIn: 7201, packetsOut: 14_400 },
          ...rates,
          ikeState: 'ESTABLISHED',
          childState: null,
        },
      ],
    );
    const { rows } = await pg.query('SELECT bytes_in, bps_in, child_state FROM tunnel_samples WHERE tunnel_id = $1 AND at = $2', [tunnelId, at]);
    expect(rows).toEqual([{ bytes_in: '7300000', bps_in: 1.5, child_state: null }]);
    expect((await store.lastTotals('gateway_samples', [gatewayId])).get(gatewayId)).toEqual({ bytesIn: 1, bytesOut: 2, packetsIn: 3, packetsOut: 4 });
    const hosted = await store.gatewaysOfHost('nobody');
    expect(hosted).toEqual([]);
  });

  it('retention deletes samples older than the retention, through the tenant index', async () => {
    const count = async () => Number((await pg.query('SELECT count(*) AS n FROM tunnel_samples WHERE tunnel_id = $1', [tunnelId])).rows[0].n);
    const before = await count();
    const deleted = await new SampleStore(db).prune(1);
    expect(deleted).toBe(1); // the 3-day-old sample
    expect(await count()).toBe(before - 1);
    // The (tenant_id, at) index can serve it (on this tiny table the planner rightly prefers a scan; bench/metrics.ts shows the plan at size).
    await pg.query('SET enable_seqscan = off');
    const plan = (
      await pg.query(`EXPLAIN SELECT ctid FROM tunnel_samples WHERE tenant_id = ANY(ARRAY(SELECT id FROM tenants)) AND at < now() - interval '30 days'`)
    ).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    await pg.query('RESET enable_seqscan');
    expect(plan).toMatch(/Index Cond: \(\(\(tenant_id\)::text = ANY .* AND \(at < /);
    expect(plan).toContain('IDX_68cea6ff3ded296825ed6af69b');
  });
});
