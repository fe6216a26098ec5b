// The worker's tunnel state writes in batches (NegotiationStore.writeTunnels): one statement per
// kind for many tunnels must do what the one-tunnel writes do, tunnel by tunnel: the version and
// fence guards, a tunnel's writes in the order given, the connection's log line, the route
// notifications; a tunnel gone meanwhile is skipped, and batches racing over the same tunnels in
// opposite orders do not deadlock.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import { NegotiationStore, TunnelWrite } from '../../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let pg: Client;
let store: NegotiationStore;
const notified: string[] = [];
const tunnels: { id: string; version: number }[] = [];

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'state-writes', 1, 1);
  store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)), async (vpcId) => {
    notified.push(vpcId);
  });
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201);
  for (let i = 0; i < 12; i++) {
    const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: `site-${i}`, ipAddress: `203.0.113.${10 + i}` }), 201);
    const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { name: `tnl-${i}`, remoteCidrs: [`172.16.${i}.0/24`] })), 201);
    tunnels.push({ id: tunnel.id, version: tunnel.configVersion });
  }
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
});

const rowOf = async (id: string) => (await pg.query('SELECT * FROM vpn_tunnels WHERE id = $1', [id])).rows[0];
const linesOf = async (id: string) => (await pg.query('SELECT kind, message, lines FROM tunnel_events WHERE tunnel_id = $1 ORDER BY id', [id])).rows;
const failure = { code: 'peer_unreachable', message: 'no answer', phase: 1, tries: 2 };

it('stores every kind of write for many tunnels in one call, each guarded as the one-tunnel write is', async () => {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tunnels;
  const at = new Date(Date.now() - 5_000);
  notified.length = 0;
  const writes: TunnelWrite[] = [
    { kind: 'applied', tunnelId: t0.id, version: t0.version },
    {
      kind: 'connection',
      tunnelId: t1.id,
      version: t1.version,
      state: 'connected',
      failure: null,
      at,
      event: { kind: 'connected', result: 'success', lines: ['a "quoted" line'] },
    },
    { kind: 'config_error', tunnelId: t2.id, version: t2.version, message: 'charon refused it' },
    { kind: 'connection', tunnelId: t3.id, version: t3.version, state: 'connected', failure: null, at },
    { kind: 'degraded', tunnelId: t3.id, version: t3.version, failure: { ...failure, phase: 2 } },
    { kind: 'pairs', tunnelId: t4.id, version: t4.version, pairs: [{ local: '10.1.1.0/24', remote: '172.16.1.0/24', up: true }] },
    { kind: 'event', tunnelId: t5.id, event: { kind: 'down', message: 'line five', at } },
    // Ignored: a fence the gateway is not under, a configuration version that is not the tunnel's.
    { kind: 'connection', tunnelId: t6.id, version: t6.version, state: 'connected', failure: null, at, fence: { hostId: 'elsewhere', epoch: 1 } },
    { kind: 'event', tunnelId: t6.id, event: { kind: 'down', message: 'stale line' }, fence: { hostId: 'elsewhere', epoch: 1 } },
    { kind: 'connection', tunnelId: t7.id, version: t7.version + 1, state: 'connected', failure: null, at },
  ];
  const changed = await store.writeTunnels(writes);

  expect([...changed].sort()).toEqual([t0.id, t1.id, t2.id, t3.id, t4.id, t5.id].sort());
  expect(await rowOf(t0.id)).toMatchObject({ applied_version: t0.version, resource_state: 'running' });
  const r1 = await rowOf(t1.id);
  expect(r1).toMatchObject({ connection_state: 'connected', failure_code: null });
  expect(r1.connected_at.getTime()).toBe(at.getTime());
  expect(await linesOf(t1.id)).toEqual([{ kind: 'connected', message: null, lines: ['a "quoted" line'] }]);
  expect(await rowOf(t2.id)).toMatchObject({ resource_state: 'error', failure_code: 'config_rejected', failure_message: 'charon refused it' });
  expect(await rowOf(t3.id)).toMatchObject({ connection_state: 'connected', failure_code: 'peer_unreachable', failure_phase: 2 });
  expect((await rowOf(t4.id)).pair_states).toEqual([{ local: '10.1.1.0/24', remote: '172.16.1.0/24', up: true }]);
  expect(await linesOf(t5.id)).toEqual([{ kind: 'down', message: 'line five', lines: [] }]);
  expect(await rowOf(t6.id)).toMatchObject({ connection_state: 'connecting' });
  expect(await linesOf(t6.id)).toEqual([]);
  expect((await rowOf(t7.id)).connection_state).toBe('connecting');
  // Entering connected and the pairs change the routes: the VPC is told once for the whole call.
  expect(notified).toEqual([w.vpcId]);
});

it("lands one tunnel's writes in the order given, leaving connected as the one-tunnel writes do", async () => {
  const t = tunnels[8];
  const t0 = Date.now() - 10_000;
  const at = (s: number) => new Date(t0 + s * 1000);
  await store.writeTunnels([
    {
      kind: 'connection',
      tunnelId: t.id,
      version: t.version,
      state: 'connecting',
      failure,
      at: at(1),
      event: { kind: 'attempt', result: 'failure', message: 'one' },
    },
    { kind: 'connection', tunnelId: t.id, version: t.version, state: 'connected', failure: null, at: at(2), event: { kind: 'connected', message: 'two' } },
    { kind: 'event', tunnelId: t.id, event: { kind: 'rekey', message: 'three', at: at(3) } },
    {
      kind: 'connection',
      tunnelId: t.id,
      version: t.version,
      state: 'phase2_failed',
      failure: { ...failure, phase: 2 },
      at: at(4),
      event: { kind: 'down', message: 'four' },
    },
  ]);
  const r = await rowOf(t.id);
  expect(r).toMatchObject({ connection_state: 'phase2_failed', failure_phase: 2, connected_at: null });
  expect(r.disconnected_at.getTime()).toBe(at(4).getTime());
  expect(r.state_changed_at.getTime()).toBe(at(4).getTime());
  expect((await linesOf(t.id)).map((l) => l.message)).toEqual(['one', 'two', 'three', 'four']);
});

it('skips a tunnel that is gone (no foreign-key error) and stores the others of its batch', async () => {
  const t = tunnels[9];
  const changed = await store.writeTunnels([
    { kind: 'event', tunnelId: 'tnl-gone-000000', event: { kind: 'down', message: 'nobody' } },
    { kind: 'connection', tunnelId: 'tnl-gone-000000', version: 1, state: 'connected', failure: null, at: new Date(), event: { kind: 'connected' } },
    { kind: 'event', tunnelId: t.id, event: { kind: 'down', message: 'somebody' } },
  ]);
  expect([...changed]).toEqual([t.id]);
  expect((await linesOf(t.id)).map((l) => l.message)).toEqual(['somebody']);
});

it("batches racing each other and the API's multi-tunnel locks over the same tunnels all land, without a deadlock", async () => {
  // The API locks several tunnels in one statement in id order (TunnelQueries.lockTunnels); the
  // tunnels' ids are random, so their order on disk (creation) is not their id order.
  const some = tunnels.slice(0, 8);
  const ids = some.map((t) => t.id);
  const batch = (state: 'connecting' | 'connected', order: typeof some) =>
    order.map((t): TunnelWrite => ({ kind: 'connection', tunnelId: t.id, version: t.version, state, failure: null, at: new Date() }));
  const apiLock = async () => {
    await pg.query('BEGIN');
    try {
      await pg.query('SELECT id FROM vpn_tunnels WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
      await new Promise((r) => setTimeout(r, 2));
      await pg.query('UPDATE vpn_tunnels SET updated_at = now() WHERE id = ANY($1)', [ids]);
    } finally {
      await pg.query('COMMIT');
    }
  };
  for (let round = 0; round < 20; round++) {
    const results = await Promise.allSettled([
      store.writeTunnels(batch('connecting', some)),
      apiLock(),
      store.writeTunnels(batch('connected', [...some].reverse())),
      store.writeTunnels([...some].map((t): TunnelWrite => ({ kind: 'applied', tunnelId: t.id, version: t.version }))),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  }
});
