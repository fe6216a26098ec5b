// Gateway host leases and ownership epochs, where PostgreSQL decides: a write under a stale epoch
// is ignored (not an error), lost hosts' gateways are claimed in shares within capacity with a new
// epoch and a move record each, a drain moves one gateway at a time, placement follows the lease.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SECRET_BOX, SecretBox } from '../../src/common/secret-box';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../support/api';
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

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'leases', 1, 5);
  store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)));
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  for (const id of [A, B, C]) await store.renewLease(id, id, id === A ? 10 : 3, 60_000);
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
  await store.renewLease(A, A, 10, 60_000);
  const host = await row(`SELECT lease_expires_at > now() AS held FROM gateway_hosts WHERE id = $1`, [A]);
  expect(host.held).toBe(true);
});

it('a drain moves one gateway at a time, the next only once the previous reconnected', async () => {
  await store.renewLease(B, B, 3, 60_000);
  await store.renewLease(C, C, 3, 60_000);
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
