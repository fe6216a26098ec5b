// Issue 5, monitoring: real traffic through a lab tunnel shows up in the stored samples, the chart
// API and /metrics with the right magnitude; a SIGKILLed charon and a rekey produce no negative
// rate and no spike; rekeys and a DPD-detected outage are in the connection log.
import { readFileSync } from 'fs';
import { join } from 'path';
import { run } from '../src/negotiation/host/exec';
import { LabNames } from '../lab/lab-names';
import { ViciSession } from '../src/vici';
import { DEFAULT_GATEWAY_BANDWIDTH_MBPS } from '../src/vpn/gateways/vpn-gateway.entity';
import { Product } from './support/product';
import { uniqueLabPrefix } from './support/lab-fixtures';

const PREFIX = uniqueLabPrefix('em');
const product = new Product({ labPrefix: PREFIX, workerEnv: { METRICS_INTERVAL_MS: '1000' } });
const SITE = { name: 'mon', publicIp: '203.0.113.71', subnet: '172.16.71.0/24' };
const SITE_HOST = '172.16.71.10';
const PAYLOAD = 1000;
const IP_PACKET = PAYLOAD + 8 + 20; // ICMP and IPv4 headers: what the CHILD_SA carries per echo
/** Far above anything a ping in this lab sends (a few hundred kbit/s): a reset read as traffic would exceed it. */
const SANE_BPS = 20_000_000;
let gw: any;
let tunnel: any;

beforeAll(async () => {
  await product.start();
  gw = await product.createGateway('mon-gw');
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'mon-site', ipAddress: SITE.publicIp });
  tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-mon',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [product.inventory.vpcs[0].subnets[0].id],
    remoteCidrs: [SITE.subnet],
    psk: 'monitor.Key-1',
  });
  await product.addSiteFromDownload(tunnel.id, SITE);
  await product.waitForTunnel(tunnel.id, ['connected']);
  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
}, 180_000);
afterAll(() => product.stop(), 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One value of /metrics for the series whose labels contain `label`. */
async function scrape(name: string, label: string): Promise<number> {
  const res = await fetch(`${product.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${product.adminKey}` } });
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  if (!line) throw new Error(`${name} with ${label} not in /metrics`);
  return Number(line.split(' ').pop());
}

async function ping(count: number, intervalS: string): Promise<number> {
  const r = await product.vmExec('vm-a1', ['ping', '-q', '-s', String(PAYLOAD), '-i', intervalS, '-c', String(count), SITE_HOST], { check: false });
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

/** Pings for `ms` (ping itself gives up at the first ICMP error, e.g. while the tunnel is down). */
async function pingFor(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await ping(25, '0.02')) === 0) await sleep(300);
  }
}

const latestSampleAt = async () =>
  (await product.sql<{ at: Date }>('SELECT max(at) AS at FROM tunnel_samples WHERE tunnel_id = $1', [tunnel.id]))[0].at?.getTime() ?? 0;

/** Waits until samples taken after `t` exist (so the period holding `t` is stored). */
async function sampledAfter(t: number): Promise<void> {
  await product.waitFor(async () => (await latestSampleAt()) > t + 1500, 15_000, 'a sample after the traffic');
}

async function samplesSince(since: Date) {
  const tunnels = await product.sql(
    'SELECT at, health, bps_in, bps_out, pps_in, pps_out, bytes_in::float8 AS bytes_in, bytes_out::float8 AS bytes_out FROM tunnel_samples WHERE tunnel_id = $1 AND at >= $2 ORDER BY at',
    [tunnel.id, since],
  );
  const gateways = await product.sql(
    'SELECT rx_bps, tx_bps, rx_pps, tx_pps, tx_bytes::float8 AS tx_bytes FROM gateway_samples WHERE gateway_id = $1 AND at >= $2 ORDER BY at',
    [gw.id, since],
  );
  return { tunnels, gateways };
}

function expectSaneAndMonotonic(s: Awaited<ReturnType<typeof samplesSince>>) {
  for (const x of s.tunnels)
    for (const v of [x.bps_in, x.bps_out, x.pps_in, x.pps_out]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(SANE_BPS);
    }
  for (const x of s.gateways)
    for (const v of [x.rx_bps, x.tx_bps, x.rx_pps, x.tx_pps]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(SANE_BPS);
    }
  const out = s.tunnels.map((x: any) => x.bytes_out);
  expect(out.every((v: number, i: number) => i === 0 || v >= out[i - 1])).toBe(true);
}

it('1. pings through the tunnel show up in the stored samples, the metrics API and /metrics with the right magnitude', async () => {
  const label = `tunnel="${tunnel.id}"`;
  await product.waitFor(async () => (await scrape('vpn_tunnel_up', label)) === 1, 20_000, 'the tunnel to be up in /metrics');
  const startedAt = new Date();
  await sleep(1500);
  const before = {
    out: await scrape('vpn_tunnel_transmit_bytes_total', label),
    in: await scrape('vpn_tunnel_receive_bytes_total', label),
    nic: await scrape('vpn_gateway_transmit_bytes_total', `gateway="${gw.id}"`),
  };
  const received = await ping(200, '0.01');
  expect(received).toBeGreaterThanOrEqual(190);
  const pingEnd = Date.now();
  const sent = received * IP_PACKET;
  // Wait for the 10-s bucket holding the end of the ping to be complete (the chart averages over buckets).
  await sampledAfter(Math.ceil(pingEnd / 10_000) * 10_000);

  const after = {
    out: await scrape('vpn_tunnel_transmit_bytes_total', label),
    in: await scrape('vpn_tunnel_receive_bytes_total', label),
    nic: await scrape('vpn_gateway_transmit_bytes_total', `gateway="${gw.id}"`),
  };
  // The issue asks for the right order of magnitude. Under heavy load the counters have come out up
  // to ~10% short of the bytes ping saw answered (under investigation: see docs/monitoring.md).
  if (after.out - before.out < 0.5 * sent) {
    const rows = await product.sql(
      'SELECT at, bytes_out::float8, bps_out, health, ike_state, child_state FROM tunnel_samples WHERE tunnel_id = $1 AND at > $2 ORDER BY at',
      [tunnel.id, new Date(startedAt.getTime() - 60_000)],
    );
    throw new Error(`counted ${after.out - before.out} of ${sent} bytes sent: ${JSON.stringify({ before, after, rows })}`);
  }
  expect(after.out - before.out).toBeGreaterThanOrEqual(0.5 * sent);
  expect(after.out - before.out).toBeLessThan(1.5 * sent + 20_000);
  expect(after.in - before.in).toBeGreaterThanOrEqual(0.5 * sent);
  expect(after.in - before.in).toBeLessThan(1.5 * sent + 20_000);
  expect(after.nic - before.nic).toBeGreaterThanOrEqual(sent); // ESP adds its headers on the wire
  expect(after.nic - before.nic).toBeLessThan(3 * sent + 50_000);

  // The chart API: counters grew by the same amount; rates integrate to about the bytes sent.
  const m = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/metrics?from=${startedAt.toISOString()}`);
  expect(m.stepSeconds).toBe(10);
  const counters = m.series.bytesOut.map(([, v]: number[]) => v); // the bucket's last total
  expect(counters[counters.length - 1] - before.out).toBeGreaterThanOrEqual(0.5 * sent);
  expect(counters[counters.length - 1]).toBe(after.out); // the same totals as /metrics
  const integrated = (name: string) => m.series[name].reduce((sum: number, [, bps]: number[]) => sum + (bps * m.stepSeconds) / 8, 0);
  for (const name of ['bpsOut', 'bpsIn']) {
    // Buckets straddle the ping's edges: the integral is an order-of-magnitude check, not exact.
    expect(integrated(name)).toBeGreaterThan(0.5 * sent);
    expect(integrated(name)).toBeLessThan(3 * sent + 50_000);
  }
  expect(Math.max(...m.series.ppsOut.map(([, v]: number[]) => v))).toBeGreaterThan(1);
  expect(m.series.health[m.series.health.length - 1][1]).toBe(1);

  const g = await product.ok('GET', `/api/v1/vpn-gateways/${gw.id}/metrics?from=${startedAt.toISOString()}`);
  expect(g.bandwidthMbps).toBe(DEFAULT_GATEWAY_BANDWIDTH_MBPS);
  const peakTx = Math.max(...g.series.txBps.map(([, v]: number[]) => v));
  expect(peakTx).toBeGreaterThan(0);
  expect(Math.max(...g.series.txUtilization.map(([, v]: number[]) => v))).toBeCloseTo(peakTx / (DEFAULT_GATEWAY_BANDWIDTH_MBPS * 1_000_000), 9);
  expectSaneAndMonotonic(await samplesSince(startedAt));
});

it('2. a SIGKILLed charon mid-traffic: no negative rate, no spike, counters keep growing after the restart', async () => {
  const since = new Date();
  const traffic = pingFor(25_000); // pings while charon dies and comes back
  await sleep(5000);
  const pidFile = join(product.dir, 'gateways', gw.id, 'charon.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  await product.waitFor(async () => Number(readFileSync(pidFile, 'utf8').trim()) !== pid, 30_000, 'charon restarted');
  await traffic;
  await product.waitForTunnel(tunnel.id, ['connected'], 60_000);
  await sampledAfter(Date.now());

  const s = await samplesSince(since);
  expect(s.tunnels.length).toBeGreaterThan(15);
  expectSaneAndMonotonic(s);
  const afterRestart = s.tunnels.filter((x: any) => x.at.getTime() > killedAt + 1000);
  expect(afterRestart.some((x: any) => x.health === 0 || x.bps_out === 0)).toBe(true); // the outage is visible
  // The restarted charon's new SAs are counted (traffic after the restart was carried and seen).
  const healthyAfter = afterRestart.filter((x: any) => x.health === 1);
  expect(healthyAfter.length).toBeGreaterThan(0);
  expect(healthyAfter[healthyAfter.length - 1].bytes_out).toBeGreaterThan(healthyAfter[0].bytes_out);
  const m = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/metrics?from=${since.toISOString()}`);
  for (const name of ['bpsIn', 'bpsOut', 'ppsIn', 'ppsOut']) for (const [, v] of m.series[name]) expect(v).toBeGreaterThanOrEqual(0);
});

it('3. rekeys are in the connection log, and the rates stay sane across them', async () => {
  const since = new Date();
  const traffic = pingFor(8000);
  await sleep(2000);
  const session = new ViciSession({ socketPath: product.viciSocket(gw.id), timeoutMs: 10_000, reconnect: false });
  await session.connect();
  try {
    expect((await session.request('rekey', { child: `ipsvpn_${tunnel.id}` })).success).toBe('yes');
    await sleep(1500);
    expect((await session.request('rekey', { ike: `ipsvpn_${tunnel.id}` })).success).toBe('yes');
  } finally {
    await session.close();
  }
  await traffic;
  let rekeys: any[] = [];
  await product.waitFor(
    async () => {
      const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/logs?limit=20`);
      rekeys = logs.items.filter((e: any) => e.kind === 'rekey' && Date.parse(e.at) >= since.getTime() - 1000);
      return rekeys.length >= 2;
    },
    20_000,
    'two rekey events',
  );
  expect(rekeys.map((e) => e.message).join('\n')).toMatch(/CHILD_SA ipsvpn_\S+ rekeyed \(SPIs/);
  expect(rekeys.map((e) => e.message).join('\n')).toMatch(/IKE_SA rekeyed \(#\d+ -> #\d+\)/);
  expect((await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).connectionState).toBe('connected');
  await sampledAfter(Date.now());
  const s = await samplesSince(since);
  expectSaneAndMonotonic(s);
  expect(s.tunnels[s.tunnels.length - 1].health).toBe(1);
});

it('4. a peer that goes silent is detected by DPD: a down event in the log, health 0 in the samples; it reconnects when the peer is back', async () => {
  const since = new Date();
  // The lab's internet router drops everything towards the site: no DELETE, no answer, only silence.
  const inet = new LabNames(PREFIX).inetNamespace;
  await run('ip', ['-n', inet, 'route', 'add', 'blackhole', `${SITE.publicIp}/32`]);
  try {
    await product.waitFor(
      async () => {
        const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/logs?limit=10`);
        return logs.items.some((e: any) => e.kind === 'down' && Date.parse(e.at) >= since.getTime());
      },
      60_000,
      'a down event',
    );
    const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/logs?limit=10`);
    const down = logs.items.find((e: any) => e.kind === 'down');
    expect(down.message).toMatch(/dead peer detection/);
    expect((await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).connectionState).not.toBe('connected');
    await sampledAfter(Date.parse(down.at));
    const samples = await product.sql('SELECT health FROM tunnel_samples WHERE tunnel_id = $1 AND at > $2', [tunnel.id, down.at]);
    expect(samples.some((x: any) => x.health === 0)).toBe(true);
  } finally {
    await run('ip', ['-n', inet, 'route', 'del', 'blackhole', `${SITE.publicIp}/32`]);
  }
  await product.waitForTunnel(tunnel.id, ['connected'], 90_000);
  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
});
