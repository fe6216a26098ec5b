// GET /api/v1/gateway-hosts: every gateway host with its liveness (its lease), capacity, gateways
// per state, tunnels, failovers and its BullMQ queue's depth; cordon, uncordon and drain; operators only.
import { Queue, Worker } from 'bullmq';
import { randomBytes } from 'crypto';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { hostQueueName } from '../../src/jobs/job-catalogue';
import { LEGACY_LIVENESS_SECONDS } from '../../src/hosts/host-lease';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld } from '../support/fixtures';
import { TEST_REDIS_URL } from '../support/env';

let api: TestApi;
let w: TenantWorld;
let pg: Client;
let redis: IORedis;
let queue: Queue;
const suffix = randomBytes(3).toString('hex');
const FRESH = `gh-fresh-${suffix}`;
const STALE = `gh-stale-${suffix}`;
const IDLE = `gh-idle-${suffix}`;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'hosts', 1, 8);
  const tenant = client(api, w.key);
  // Bought while no host is live: the gateways stay unplaced until the test puts them on hosts.
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await tenant.ok(tenant.post('/api/v1/vpn-gateways', gatewayBody(w, i, { name: `gw-${i}` })), 201)).id);
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  await pg.query(
    `INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at, lease_expires_at, lease_ttl_ms) VALUES
       ($1, 'node-fresh', 10, now() - interval '2 seconds', now() + interval '1 hour', 4000),
       ($2, 'node-stale', 3, now() - make_interval(secs => $4 + 60), now() - interval '60 seconds', 4000),
       ($3, 'node-idle', 50, now(), now() + interval '1 hour', 4000)`,
    [FRESH, STALE, IDLE, LEGACY_LIVENESS_SECONDS],
  );
  const place = (id: string, host: string, state: string) =>
    pg.query('UPDATE vpn_gateways SET host_id = $2, resource_state = $3 WHERE id = $1', [id, host, state]);
  await place(ids[0], FRESH, 'running');
  await place(ids[1], FRESH, 'running');
  await place(ids[2], FRESH, 'error');
  await place(ids[3], STALE, 'creating');
  await place(ids[4], STALE, 'expired');
  // ids[5] stays unplaced: it belongs to no host.
  // The fresh host's queue: two waiting jobs and a delayed one (no worker consumes them in this tier).
  redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(hostQueueName(FRESH), { connection: redis });
  await queue.add('gateway.sync', { gatewayId: ids[0] }, { jobId: `t1-${suffix}` });
  await queue.add('gateway.sync', { gatewayId: ids[1] }, { jobId: `t2-${suffix}` });
  await queue.add('gateway.sync', { gatewayId: ids[2] }, { jobId: `t3-${suffix}`, delay: 3_600_000 });
});
afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  redis?.disconnect();
  await pg?.end();
  await api?.close();
});

describe('GET /api/v1/gateway-hosts', () => {
  it('lists every host with live flags, capacity, gateways per state and queue depth', async () => {
    const admin = client(api, api.adminKey);
    const hosts = await admin.ok(admin.get('/api/v1/gateway-hosts'));
    expect(hosts.map((h: { id: string }) => h.id)).toEqual([FRESH, IDLE, STALE].sort());
    const byId = Object.fromEntries(hosts.map((h: { id: string }) => [h.id, h]));

    expect(byId[FRESH]).toMatchObject({
      hostname: 'node-fresh',
      capacity: 10,
      live: true,
      livenessSeconds: 4,
      cordoned: false,
      drain: null,
      tunnels: 0,
      tunnelsConnected: 0,
      failovers: { in: 0, out: 0, lastAt: null },
      gateways: { total: 3, running: 2, error: 1, creating: 0, deleting: 0, expired: 0 },
      queue: { name: `host.${FRESH}`, depth: 3, waiting: 2, delayed: 1, active: 0, prioritized: 0, waitingChildren: 0, failed: 0 },
    });
    const age = Date.now() - Date.parse(byId[FRESH].lastSeenAt);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(LEGACY_LIVENESS_SECONDS * 1000);
    expect(Date.parse(byId[FRESH].leaseExpiresAt)).toBeGreaterThan(Date.now());

    expect(byId[STALE]).toMatchObject({
      hostname: 'node-stale',
      capacity: 3,
      live: false,
      gateways: { total: 2, creating: 1, expired: 1, running: 0, deleting: 0, error: 0 },
      queue: { depth: 0, waiting: 0 },
    });
    expect(Date.now() - Date.parse(byId[STALE].lastSeenAt)).toBeGreaterThan((LEGACY_LIVENESS_SECONDS + 59) * 1000);

    expect(byId[IDLE]).toMatchObject({ live: true, capacity: 50, gateways: { total: 0, running: 0 }, queue: { depth: 0 } });
  });

  it('a host whose lease expired turns not live, however recent its last heartbeat', async () => {
    await pg.query(`UPDATE gateway_hosts SET last_seen_at = now(), lease_expires_at = now() - interval '1 millisecond' WHERE id = $1`, [IDLE]);
    const admin = client(api, api.adminKey);
    const hosts = await admin.ok(admin.get('/api/v1/gateway-hosts'));
    expect(hosts.find((h: { id: string }) => h.id === IDLE).live).toBe(false);
    await pg.query(`UPDATE gateway_hosts SET lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [IDLE]);
    const again = await admin.ok(admin.get('/api/v1/gateway-hosts'));
    expect(again.find((h: { id: string }) => h.id === IDLE).live).toBe(true);
  });

  it("a gateway that failed on its host: the operator reads the host's words, the tenant an actionable reason", async () => {
    const LAB = "provisioning failed: lab internet segment missing (namespace vl-inet, bridge vl-br0): run 'lab up'";
    const [{ id }] = (await pg.query(`SELECT id FROM vpn_gateways WHERE host_id = $1 AND resource_state = 'error'`, [FRESH])).rows;
    await pg.query('UPDATE vpn_gateways SET state_reason = $2 WHERE id = $1', [id, LAB]);
    const admin = client(api, api.adminKey);
    const fresh = (await admin.ok(admin.get('/api/v1/gateway-hosts'))).find((h: { id: string }) => h.id === FRESH);
    expect(fresh.problems).toEqual([{ kind: 'gateway', id, tenantId: w.tenantId, reason: LAB }]);
    const tenant = client(api, w.key);
    const seen = await tenant.ok(tenant.get(`/api/v1/vpn-gateways/${id}`));
    expect(seen.resourceState).toBe('error');
    expect(seen.stateReason).toMatch(/could not start this gateway/);
    const listed = JSON.stringify(await tenant.ok(tenant.get('/api/v1/vpn-gateways?limit=100')));
    for (const internal of ['namespace', 'lab up', 'vl-inet', 'bridge']) expect(listed).not.toContain(internal);
  });

  it('cordon keeps new gateways off a host, drain reports progress, uncordon ends both; unknown hosts 404', async () => {
    const admin = client(api, api.adminKey);
    const tenant = client(api, w.key);
    const cordoned = await admin.ok(admin.post(`/api/v1/gateway-hosts/${IDLE}/cordon`));
    expect(cordoned).toMatchObject({ id: IDLE, cordoned: true, drain: null });
    // Only FRESH (7 spare) and IDLE (50 spare) are live: with IDLE cordoned a new gateway goes to FRESH.
    const gw = await tenant.ok(tenant.post('/api/v1/vpn-gateways', gatewayBody(w, 6, { name: 'gw-cordon' })), 201);
    const [placed] = (await pg.query('SELECT host_id FROM vpn_gateways WHERE id = $1', [gw.id])).rows;
    expect(placed.host_id).toBe(FRESH);
    const draining = await admin.ok(admin.post(`/api/v1/gateway-hosts/${FRESH}/drain`));
    expect(draining).toMatchObject({ id: FRESH, cordoned: true, drain: { moved: 0, remaining: 4, done: false } });
    // Nothing placeable left: the next gateway waits unplaced.
    const waiting = await tenant.ok(tenant.post('/api/v1/vpn-gateways', gatewayBody(w, 7, { name: 'gw-waits' })), 201);
    expect((await pg.query('SELECT host_id FROM vpn_gateways WHERE id = $1', [waiting.id])).rows[0].host_id).toBeNull();
    expect(await admin.ok(admin.post(`/api/v1/gateway-hosts/${FRESH}/uncordon`))).toMatchObject({ cordoned: false, drain: null });
    expect(await admin.ok(admin.post(`/api/v1/gateway-hosts/${IDLE}/uncordon`))).toMatchObject({ cordoned: false });
    for (const verb of ['cordon', 'uncordon', 'drain']) {
      const missing = await admin.post(`/api/v1/gateway-hosts/no-such-host/${verb}`);
      expect(missing.status).toBe(404);
      expect(missing.body.violations[0]).toMatchObject({ field: 'id', rule: 'exists' });
    }
    expect((await tenant.post(`/api/v1/gateway-hosts/${IDLE}/cordon`)).status).toBe(403);
    for (const id of [gw.id, waiting.id]) await pg.query('DELETE FROM vpn_gateways WHERE id = $1', [id]).catch(() => undefined);
  });

  it('a tenant key gets 403, no key or an unknown key 401', async () => {
    const tenant = client(api, w.key);
    const forbidden = await tenant.get('/api/v1/gateway-hosts');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toContain('admin');
    expect(JSON.stringify(forbidden.body)).not.toContain(FRESH);
    expect((await api.http().get('/api/v1/gateway-hosts')).status).toBe(401);
    expect((await client(api, 'no-such-key').get('/api/v1/gateway-hosts')).status).toBe(401);
  });
});

describe('GET /api/v1/gateway-hosts/{id}/failed-jobs', () => {
  it("lists the host queue's failed jobs with the worker's error and what they were for, newest first", async () => {
    const staleQueue = new Queue(hostQueueName(STALE), { connection: redis });
    const consumer = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    try {
      await staleQueue.add('tunnel.sync', { tunnelId: 'vpntnl-failing', configVersion: 3 }, { jobId: `f1-${suffix}`, attempts: 1 });
      await staleQueue.add('gateway.sync', { gatewayId: 'vpngw-failing' }, { jobId: `f2-${suffix}`, attempts: 1 });
      // A worker whose every job fails, as a host whose charon refuses (no worker of the product runs in this tier).
      let failed = 0;
      const worker = new Worker(
        hostQueueName(STALE),
        async (job) => {
          throw new Error(`cannot apply ${job.name}: charon refused the configuration`);
        },
        { connection: consumer, autorun: false },
      );
      const allFailed = new Promise<void>((resolve) => worker.on('failed', () => (++failed === 2 ? resolve() : undefined)));
      void worker.run();
      await allFailed;
      await worker.close();

      const admin = client(api, api.adminKey);
      const got = await admin.ok(admin.get(`/api/v1/gateway-hosts/${STALE}/failed-jobs`));
      expect(got).toMatchObject({ queue: `host.${STALE}`, available: true });
      expect(got.jobs.map((j: any) => [j.id, j.name, j.resourceId, j.failedReason, j.attemptsMade])).toEqual([
        [`f2-${suffix}`, 'gateway.sync', 'vpngw-failing', 'cannot apply gateway.sync: charon refused the configuration', 1],
        [`f1-${suffix}`, 'tunnel.sync', 'vpntnl-failing', 'cannot apply tunnel.sync: charon refused the configuration', 1],
      ]);
      expect(Date.parse(got.jobs[0].failedAt)).toBeGreaterThanOrEqual(Date.parse(got.jobs[0].queuedAt));
      // The list's count agrees, and a host without failures has none.
      const stale = (await admin.ok(admin.get('/api/v1/gateway-hosts'))).find((h: { id: string }) => h.id === STALE);
      expect(stale.queue.failed).toBe(2);
      expect((await admin.ok(admin.get(`/api/v1/gateway-hosts/${IDLE}/failed-jobs`))).jobs).toEqual([]);
    } finally {
      await staleQueue.obliterate({ force: true }).catch(() => undefined);
      await staleQueue.close();
      consumer.disconnect();
    }
  });

  it('404 for an unknown host, 403 for a tenant key', async () => {
    const admin = client(api, api.adminKey);
    const missing = await admin.get('/api/v1/gateway-hosts/gh-no-such-host/failed-jobs');
    expect(missing.status).toBe(404);
    expect(missing.body.violations).toEqual([expect.objectContaining({ field: 'id', rule: 'exists' })]);
    expect((await client(api, w.key).get(`/api/v1/gateway-hosts/${STALE}/failed-jobs`)).status).toBe(403);
  });
});

it('with Redis unreachable the hosts are still listed, their queues as unknown (null)', async () => {
  const down = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1/0' });
  try {
    const c = new Client({ connectionString: down.databaseUrl });
    await c.connect();
    await c
      .query(
        `INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at, lease_expires_at) VALUES ('gh-lonely', 'node', 5, now(), now() + interval '1 hour')`,
      )
      .finally(() => c.end());
    const admin = client(down, down.adminKey);
    const hosts = await admin.ok(admin.get('/api/v1/gateway-hosts'));
    expect(hosts).toEqual([expect.objectContaining({ id: 'gh-lonely', live: true, queue: null, gateways: expect.objectContaining({ total: 0 }) })]);
    // The drill-down says the queue could not be read rather than "no failed jobs".
    expect(await admin.ok(admin.get('/api/v1/gateway-hosts/gh-lonely/failed-jobs'))).toEqual({ queue: 'host.gh-lonely', available: false, jobs: [] });
  } finally {
    await down.close();
  }
});
