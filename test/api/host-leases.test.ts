// Gateway host leases and ownership epochs, where PostgreSQL decides: a write under a stale epoch
// is ignored (not an error), lost hosts' gateways are claimed in shares within capacity with a new
// epoch and a move record each, a drain moves one gateway at a time, placement follows the lease.
// And a real worker's lease (its renewal thread) while its main thread is held.
import { getDataSourceToken } from '@nestjs/typeorm';
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Worker } from 'worker_threads';
import { registerLabNetworkDriver } from '../../lab/lab-worker';
import { SECRET_BOX, SecretBox } from '../../src/common/secret-box';
import { createLogger } from '../../src/common/structured-log';
import { HostLease } from '../../src/hosts/host-lease';
import { renewLeaseOn } from '../../src/hosts/host-lease.queries';
import { HostWorker } from '../../src/negotiation/host-worker';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { loadWorkerConfig } from '../../src/negotiation/worker-config';
import { startTestApi, TestApi } from '../support/api';
import { createTestDatabase } from '../support/database';
import { TEST_REDIS_URL } from '../support/env';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let pg: Client;
let store: NegotiationStore;
const sfx = randomBytes(3).toString('hex');
const [A, B, C] = ['a', 'b', 'c'].map((x) => `lease-${x}-${sfx}`);
const gateways: string[] = [];
let tunnelId: string;
let version: number;
let drainedFirst: string;
/** A host's lease renewed as the worker's lease thread renews it (60 s: it outlives the file). */
const renew = (hostId: string, capacity: number) => renewLeaseOn(pg, { hostId, hostname: hostId, capacity, ttlMs: 60_000 });

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'leases', 1, 5);
  store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)));
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  for (const id of [A, B, C]) await renew(id, id === A ? 10 : 3);
  const t = client(api, w.key);
  // Placed on the host with the most spare capacity: A (10) takes all five.
  for (let i = 0; i < 5; i++) gateways.push((await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, i, { name: `gw-${i}` })), 201)).id);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'hq', ipAddress: '203.0.113.10' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gateways[0], peer.id, w)), 201);
  tunnelId = tunnel.id;
  version = tunnel.configVersion;
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
});

const row = async (sql: string, params: unknown[]) => (await pg.query(sql, params)).rows[0];

it('places new gateways only on hosts holding a lease', async () => {
  const placed = await pg.query('SELECT host_id, host_epoch FROM vpn_gateways WHERE id = ANY($1)', [gateways]);
  expect(placed.rows.map((r) => r.host_id)).toEqual(gateways.map(() => A));
});

it("a lost host's gateways go to the live hosts in shares, each with a new epoch and a move record; a late write from the old owner is ignored", async () => {
  const before = await row('SELECT host_epoch FROM vpn_gateways WHERE id = $1', [gateways[0]]);
  // A serves gateway 0 under its epoch: its writes land.
  expect(await store.setConnection(tunnelId, version, 'connected', null, new Date(), { hostId: A, epoch: before.host_epoch })).toBe(true);

  // A's lease expires (by the database's clock).
  await pg.query(`UPDATE gateway_hosts SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [A]);
  // 5 orphans, 2 live hosts: B's share is 3 (its capacity too). Then 2 orphans for 2 hosts: C
  // takes 1 a tick, so a host that comes along meanwhile gets its share too.
  const byB = await store.claimOrphaned(B, 3);
  expect(byB).toHaveLength(3);
  const byC = await store.claimOrphaned(C, 3);
  expect(byC).toHaveLength(1);
  byC.push(...(await store.claimOrphaned(C, 3)));
  expect(byC).toHaveLength(2);
  expect(new Set([...byB, ...byC].map((c) => c.gatewayId))).toEqual(new Set(gateways));
  for (const c of [...byB, ...byC]) expect(c).toMatchObject({ fromHostId: A, reason: 'lease_expired' });
  expect(await store.claimOrphaned(B, 10)).toEqual([]);

  const moved = await row('SELECT host_id, host_epoch FROM vpn_gateways WHERE id = $1', [gateways[0]]);
  expect(moved.host_epoch).toBe(before.host_epoch + 1);
  const moves = await pg.query('SELECT gateway_id, from_host_id, to_host_id, epoch FROM gateway_moves WHERE gateway_id = ANY($1)', [gateways]);
  expect(moves.rows).toHaveLength(5);
  // The moved gateway's connected tunnel is down until the new owner says otherwise (the old one
  // could not): its routes' hold-down starts at the move.
  const reset = await row("SELECT connection_state, connected_at, disconnected_at > now() - interval '1 minute' AS recent FROM vpn_tunnels WHERE id = $1", [
    tunnelId,
  ]);
  expect(reset).toMatchObject({ connection_state: 'connecting', connected_at: null, recent: true });

  // The old owner's late writes (a write-behind queue flushing after a freeze) change nothing.
  const stale = { hostId: A, epoch: before.host_epoch };
  expect(await store.setConnection(tunnelId, version, 'phase1_failed', { code: 'x', message: 'late', phase: 1, tries: 1 }, new Date(), stale)).toBe(false);
  await store.setPairStates(tunnelId, version, [], stale);
  await store.markTunnelError(tunnelId, version, 'late', stale);
  await store.setGatewayState(gateways[0], 'error', 'late', stale);
  await store.recordEvent(tunnelId, { kind: 'down', message: 'late' }, stale);
  const t = await row('SELECT connection_state, resource_state, pair_states FROM vpn_tunnels WHERE id = $1', [tunnelId]);
  expect(t).toMatchObject({ connection_state: 'connecting', pair_states: null });
  expect(t.resource_state).not.toBe('error');
  expect((await row('SELECT resource_state FROM vpn_gateways WHERE id = $1', [gateways[0]])).resource_state).not.toBe('error');
  expect((await row(`SELECT count(*)::int AS n FROM tunnel_events WHERE tunnel_id = $1 AND message = 'late'`, [tunnelId])).n).toBe(0);
  // Even the old owner's epoch number under the new owner's name: no.
  expect(await store.setConnection(tunnelId, version, 'connecting', null, new Date(), { hostId: moved.host_id, epoch: before.host_epoch })).toBe(false);

  // The new owner writes under the new epoch.
  const fresh = { hostId: moved.host_id, epoch: moved.host_epoch };
  expect(await store.setConnection(tunnelId, version, 'connecting', null, new Date(), fresh)).toBe(true);
  expect(await store.setConnection(tunnelId, version, 'connected', null, new Date(), fresh)).toBe(true);
  const claim = [...byB, ...byC].find((c) => c.gatewayId === gateways[0])!;
  expect(await store.recordReconnections(claim, fresh)).toBe(0);
  const failover = await row(`SELECT message, reason_code FROM tunnel_events WHERE tunnel_id = $1 AND kind = 'failover'`, [tunnelId]);
  expect(failover.reason_code).toBe('host_lease_expired');
  expect(failover.message).toMatch(new RegExp(`moved from host ${A} to host ${moved.host_id} after ${A}'s lease expired; reconnected in [0-9.]+ s`));
  // Logged once per move.
  await store.recordReconnections(claim, fresh);
  expect((await row(`SELECT count(*)::int AS n FROM tunnel_events WHERE tunnel_id = $1 AND kind = 'failover'`, [tunnelId])).n).toBe(1);
});

it("a state and its log line in one write (issue 20): both land under the owner's epoch, neither under a stale one", async () => {
  const owner = await row('SELECT host_id, host_epoch FROM vpn_gateways WHERE id = $1', [gateways[0]]);
  const fence = { hostId: owner.host_id, epoch: owner.host_epoch };
  const stale = { hostId: owner.host_id, epoch: owner.host_epoch - 1 };
  const lines = (tag: string) => row(`SELECT count(*)::int AS n FROM tunnel_events WHERE tunnel_id = $1 AND message = $2`, [tunnelId, tag]);
  const failure = { code: 'peer_unreachable', message: 'no answer', phase: 1, tries: 2 };
  const at = new Date(Date.now() - 5000);
  expect(await store.setConnection(tunnelId, version, 'phase1_failed', failure, at, stale, { kind: 'attempt', result: 'failure', message: 'stale-line' })).toBe(
    false,
  );
  expect((await lines('stale-line')).n).toBe(0);
  await store.recordEvent(tunnelId, { kind: 'down', message: 'stale-line' }, stale);
  expect((await lines('stale-line')).n).toBe(0);

  const event = {
    kind: 'attempt' as const,
    result: 'failure' as const,
    phase: 1,
    reasonCode: 'peer_unreachable',
    message: 'owner-line',
    configVersion: version,
    lines: ['[IKE] a', '[IKE] b'],
  };
  expect(await store.setConnection(tunnelId, version, 'phase1_failed', failure, at, fence, event)).toBe(true);
  const logged = await row(
    `SELECT kind, result, phase, reason_code, config_version, lines, at FROM tunnel_events WHERE tunnel_id = $1 AND message = 'owner-line'`,
    [tunnelId],
  );
  expect(logged).toMatchObject({
    kind: 'attempt',
    result: 'failure',
    phase: 1,
    reason_code: 'peer_unreachable',
    config_version: version,
    lines: ['[IKE] a', '[IKE] b'],
  });
  expect(new Date(logged.at).getTime()).toBe(at.getTime());
  const t = await row('SELECT connection_state, failure_code, failure_at FROM vpn_tunnels WHERE id = $1', [tunnelId]);
  expect(t).toMatchObject({ connection_state: 'phase1_failed', failure_code: 'peer_unreachable' });
  expect(new Date(t.failure_at).getTime()).toBe(at.getTime());
  // A newer configuration version: the state is not written, the line (as recordEvent's) still is.
  expect(await store.setConnection(tunnelId, version + 1, 'connected', null, new Date(), fence, { kind: 'attempt', message: 'newer-line' })).toBe(false);
  expect((await lines('newer-line')).n).toBe(1);
  // The worker's first read of a job: the tunnel with its gateway, in one statement.
  // With the API's key: the PSK is opened as the worker opens it.
  const reader = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), api.app.get<SecretBox>(SECRET_BOX));
  const found = await reader.desiredTunnel(tunnelId);
  expect(found).toMatchObject({ gatewayId: gateways[0], desired: { configVersion: version, render: { id: tunnelId, localCidrs: ['10.1.1.0/24'] } } });
  expect(found!.desired.render.psk).toBe(tunnelBody('', '', w).psk);
  expect(await reader.desiredTunnel('vpntnl-none')).toBeNull();
  const [sameByGateway] = await reader.desiredTunnels(gateways[0], [tunnelId]);
  expect(sameByGateway).toEqual(found!.desired);
});

it('an expired host gets no new gateways; a renewed lease makes it placeable again', async () => {
  await pg.query(`UPDATE gateway_hosts SET lease_expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [[B, C]]);
  await renew(A, 10);
  const host = await row(`SELECT lease_expires_at > now() AS held FROM gateway_hosts WHERE id = $1`, [A]);
  expect(host.held).toBe(true);
});

it('a drain moves one gateway at a time, the next only once the previous reconnected', async () => {
  await renew(B, 3);
  await renew(C, 3);
  const onCNow = (await pg.query('SELECT id FROM vpn_gateways WHERE host_id = $1', [C])).rows.map((r) => r.id as string);
  expect(onCNow).toHaveLength(2);
  await pg.query('UPDATE gateway_hosts SET cordoned = true, drain_started_at = now() WHERE id = $1', [C]);
  // The next gateway is named before anyone takes it (the taker prepares its copy first).
  const next = await store.nextDrained(A, 10);
  expect(next).toMatchObject({ fromHostId: C });
  // Only a gateway still on the draining host can be claimed by name.
  expect(await store.claimDrained(A, 10, gateways.find((g) => g !== next!.gatewayId && !onCNow.includes(g)) ?? 'vpngw-nope')).toEqual([]);
  const first = await store.claimDrained(A, 10, next!.gatewayId);
  expect(first).toHaveLength(1);
  expect(first[0]).toMatchObject({ gatewayId: next!.gatewayId, fromHostId: C, reason: 'drain' });
  // The first has not reconnected: nobody takes (or is told to prepare) the next.
  expect(await store.nextDrained(A, 10)).toBeNull();
  expect(await store.claimDrained(A, 10)).toEqual([]);
  expect(await store.claimDrained(B, 10)).toEqual([]);
  await store.finishMove(first[0].moveId);
  // A host with no room takes nothing.
  expect(await store.nextDrained(B, 3)).toBeNull();
  expect(await store.claimDrained(B, 3)).toEqual([]);
  const second = await store.claimDrained(A, 10);
  expect(second).toHaveLength(1);
  expect((await row('SELECT count(*)::int AS n FROM vpn_gateways WHERE host_id = $1', [C])).n).toBe(0);
  expect(await store.nextDrained(A, 10)).toBeNull();
  drainedFirst = first[0].gatewayId;
});

it("a gateway's log lists its moves newest first, in the tenant's own words; another tenant gets 404, a bad filter 400", async () => {
  const t = client(api, w.key);
  const page = await t.ok(t.get(`/api/v1/vpn-gateways/${drainedFirst}/logs`));
  expect(page.total).toBe(2);
  expect(page.items.map((e: { reasonCode: string }) => e.reasonCode)).toEqual(['gateway_drained', 'host_lease_expired']);
  expect(page.items[0]).toMatchObject({ kind: 'failover', fromHost: C, toHost: A, reconnectSeconds: expect.any(Number) });
  expect(page.items[0].message).toMatch(new RegExp(`moved from host ${C} to host ${A} while ${C} was drained; every tunnel connected again in [0-9.]+ s`));
  expect(page.items[1]).toMatchObject({ fromHost: A, toHost: C });
  expect(page.items[1].message).toMatch(new RegExp(`moved from host ${A} to host ${C} after ${A}'s lease expired`));
  const drains = await t.ok(t.get(`/api/v1/vpn-gateways/${drainedFirst}/logs?reasonCode=host_lease_expired&limit=1`));
  expect(drains).toMatchObject({ total: 1, limit: 1, items: [expect.objectContaining({ reasonCode: 'host_lease_expired' })] });
  const bad = await t.get(`/api/v1/vpn-gateways/${drainedFirst}/logs?reasonCode=meteor`);
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('reasonCode');
  const other = await createTenantWorld(api, 'leases-other', 2, 1);
  const o = client(api, other.key);
  expect((await o.get(`/api/v1/vpn-gateways/${drainedFirst}/logs`)).status).toBe(404);
});

describe("a worker's lease while its main thread is held (issue 20: no tunnel torn down by load)", () => {
  // A database of its own: these workers claim whatever is unplaced, and there must be nothing.
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const dirs: string[] = [];
  const running: HostWorker[] = [];
  const samplers: ChildProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    registerLabNetworkDriver();
  });
  afterAll(async () => {
    for (const s of samplers) s.kill();
    for (const w of running) await w.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await db?.drop();
  });

  /** A real worker (no gateways), its log lines kept; TTL 2 s, renewed every 500 ms. */
  async function startWorker(hostId: string, env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'lease-worker-'));
    dirs.push(dir);
    const config = loadWorkerConfig({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      HOST_ID: hostId,
      GATEWAYS_DIR: dir,
      HOST_LEASE_TTL_MS: '2000',
      HOST_LEASE_RENEW_MS: '500',
      HOST_LEASE_FENCE_MARGIN_MS: '250',
      ...env,
    });
    const lines: string[] = [];
    const worker = new HostWorker(config, createLogger({ level: 'log', context: 'worker', write: (line) => lines.push(line) }));
    await worker.start();
    running.push(worker);
    // Its view of the lease (what the watchdog and every sync read).
    const lease = (worker as unknown as { lease: HostLease }).lease;
    return { worker, lease, lines };
  }

  /**
   * Another process asks PostgreSQL every 100 ms whether the host holds its lease (the database's
   * clock decides; this process's event loop is about to be held). stop() gives the answers.
   */
  async function sampleLease(hostId: string): Promise<{ stop: () => Promise<string> }> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { Client } = require('pg');
         const c = new Client({ connectionString: process.argv[1] });
         c.connect().then(() => setInterval(() => c.query('SELECT lease_expires_at > now() AS held FROM gateway_hosts WHERE id = $1', [process.argv[2]])
           .then((r) => process.stdout.write(r.rows[0]?.held ? '1' : '0'), () => process.stdout.write('e')), 100));`,
        db.url,
        hostId,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    samplers.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    for (let i = 0; out.length < 3; i++) {
      if (i === 100) throw new Error('the sampler printed nothing in 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = out.length;
    return {
      stop: async () => {
        await new Promise((r) => setTimeout(r, 300)); // what it printed while this thread was held
        child.kill();
        return out.slice(before);
      },
    };
  }

  /** Holds this (the worker's main) thread: nothing on its event loop runs meanwhile. */
  function holdMainThread(ms: number): void {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // busy
    }
  }

  it('holds the lease through 5 s of a held main thread with a 2 s TTL: never lapsed, in the database or in its own view', async () => {
    const host = `lease-held-${sfx}`;
    const { lease, lines } = await startWorker(host);
    expect(lease.isValid()).toBe(true);
    const sampler = await sampleLease(host);
    holdMainThread(5000);
    // Read before any timer or message of the worker's runs: what its watchdog sees first.
    const lapsedAfter = lease.lapsed();
    const validAfter = lease.isValid();
    const samples = await sampler.stop();
    expect(samples.length).toBeGreaterThan(25);
    expect(samples).toMatch(/^1+$/);
    expect({ lapsedAfter, validAfter }).toEqual({ lapsedAfter: false, validAfter: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(lines.join('\n')).not.toMatch(/lease lapsed|fencing|lease:/);
  }, 30_000);

  it('stops renewing once the main thread is held past HOST_LEASE_MAX_MAIN_STALL_MS (a hung worker is failed over); awake, serves again only after checking ownership', async () => {
    const host = `lease-hung-${sfx}`;
    const { lease, lines } = await startWorker(host, { HOST_LEASE_MAX_MAIN_STALL_MS: '2000' });
    const sampler = await sampleLease(host);
    holdMainThread(6000);
    const lapsedAfter = lease.lapsed();
    const samples = await sampler.stop();
    expect(lapsedAfter).toBe(true);
    // Held for the stall guard and a TTL, then lapsed (until the thread renews again, awake).
    expect(samples).toMatch(/^1+0{5,}1*$/);
    await waitUntil(() => lease.isValid(), 5000);
    const log = lines.join('\n');
    expect(log).toMatch(/the main thread was stalled for over 2 s \(more than 2 s\): the lease thread stopped renewing/);
    expect(log).toMatch(/lease renewed after it had run out: unplugging the gateways placed elsewhere meanwhile before serving/);
    expect(await heldInDb(host)).toBe(true);
  }, 30_000);

  it('survives its lease thread dying: restarted, the lease never lapses; stop() ends the thread and the renewals', async () => {
    const host = `lease-crash-${sfx}`;
    const { worker, lease, lines } = await startWorker(host);
    const renewer = (worker as unknown as { renewer: { thread: Worker | null } }).renewer;
    await renewer.thread!.terminate();
    const renewals = lease.state.renewals();
    const sampler = await sampleLease(host);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await sampler.stop()).toMatch(/^1+$/);
    expect(lines.join('\n')).toMatch(/lease thread exited \(code 1\): restarting it in 500 ms \(\d+ ms before this host may fence itself\)/);
    expect(lease.state.renewals()).toBeGreaterThan(renewals + 2);
    expect(lease.isValid()).toBe(true);

    await worker.stop();
    running.splice(running.indexOf(worker), 1);
    expect(renewer.thread).toBeNull();
    const stopped = lease.state.renewals();
    await new Promise((r) => setTimeout(r, 2500));
    expect(lease.state.renewals()).toBe(stopped);
    expect(await heldInDb(host)).toBe(false);
  }, 30_000);

  async function heldInDb(hostId: string): Promise<boolean> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query('SELECT lease_expires_at > now() AS held FROM gateway_hosts WHERE id = $1', [hostId])).rows[0]?.held === true;
    } finally {
      await c.end();
    }
  }

  async function waitUntil(ok: () => boolean, ms: number): Promise<void> {
    for (const until = Date.now() + ms; !ok();) {
      if (Date.now() > until) throw new Error(`not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
