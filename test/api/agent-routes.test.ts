// The agent API: tokens, tenant isolation, the desired routes and the long poll.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let other: TenantWorld;
let db: Client;
const instanceIds: Record<string, string> = {};

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'routed', 1);
  other = await createTenantWorld(api, 'other', 2);
  const admin = client(api, api.adminKey);
  for (const [name, subnet, ip] of [
    ['vm-a', 0, '10.1.1.10'],
    ['vm-b', 1, '10.1.2.10'],
    ['vm-c', 2, '10.1.3.10'],
  ] as const) {
    instanceIds[name] = (await admin.ok(admin.post('/api/v1/instances', { subnetId: w.subnetIds[subnet], name, privateIp: ip }), 201)).id;
  }
  instanceIds.foreign = (await admin.ok(admin.post('/api/v1/instances', { subnetId: other.subnetIds[0], name: 'x', privateIp: '10.2.1.10' }), 201)).id;
  db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await api?.close();
});

const agent = (token: string) => ({
  routes: (q = '') => api.http().get(`/api/v1/agent/routes${q}`).set('Authorization', `Bearer ${token}`).set('X-Agent-Version', '1.0.0'),
  report: (body: object) => api.http().post('/api/v1/agent/report').set('Authorization', `Bearer ${token}`).send(body),
});

async function issue(instance: string): Promise<string> {
  const admin = client(api, api.adminKey);
  return (await admin.ok(admin.post(`/api/v1/instances/${instanceIds[instance]}/agent-token`), 201)).token;
}

it('tokens: 401 without or with an unknown token; a rotated or revoked token stops working', async () => {
  expect((await api.http().get('/api/v1/agent/routes')).status).toBe(401);
  expect((await agent('nope').routes()).status).toBe(401);
  const first = await issue('vm-a');
  expect((await agent(first).routes()).status).toBe(200);
  const second = await issue('vm-a');
  expect((await agent(first).routes()).status).toBe(401);
  expect((await agent(second).routes()).status).toBe(200);
  const admin = client(api, api.adminKey);
  await admin.ok(admin.delete(`/api/v1/instances/${instanceIds['vm-a']}/agent-token`), 204);
  const res = await agent(second).routes();
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('unauthorized');
  // Tenants cannot issue tokens (operators do); an unknown instance is 404.
  expect((await client(api, w.key).post(`/api/v1/instances/${instanceIds['vm-a']}/agent-token`)).status).toBe(403);
  expect((await admin.post('/api/v1/instances/inst-nothere/agent-token')).status).toBe(404);
});

it("routes follow connected tunnels of the instance's subnet only; the long poll wakes on a change", async () => {
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.5' }), 201);
  const tunnel = await t.ok(
    t.post(
      '/api/v1/vpn-tunnels',
      tunnelBody(gw.id, peer.id, w, { localSubnetIds: [w.subnetIds[0], w.subnetIds[1]], remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'] }),
    ),
    201,
  );
  const a = agent(await issue('vm-a'));
  const b = agent(await issue('vm-b'));
  const c = agent(await issue('vm-c'));
  const foreign = agent(await issue('foreign'));

  const before = await a.routes();
  expect(before.body.routes).toEqual([]); // connecting: nothing yet

  // A long poll with the current version waits; the tunnel turning connected (as the worker would
  // report it) wakes it with the new set.
  const started = Date.now();
  const waiting = a.routes(`?version=${before.body.version}&wait=10`);
  await new Promise((r) => setTimeout(r, 300));
  await db.query("UPDATE vpn_tunnels SET connection_state = 'connected' WHERE id = $1", [tunnel.id]);
  await api.app.get((await import('../../src/routes/routes.service')).RoutesService).changed(w.vpcId);
  const woke = await waiting;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(woke.body.routes).toEqual([
    { destination: '172.16.1.0/24', via: gw.privateIp },
    { destination: '172.16.2.0/24', via: gw.privateIp },
  ]);
  expect((await b.routes()).body.routes).toEqual([
    { destination: '172.16.1.0/24', via: '10.1.2.1' },
    { destination: '172.16.2.0/24', via: '10.1.2.1' },
  ]);
  expect((await c.routes()).body.routes).toEqual([]);
  expect((await foreign.routes()).body.routes).toEqual([]);

  // Push status: two instances and the VPC router must carry the routes; one reports it applied.
  expect((await a.report({ appliedVersion: woke.body.version, agentVersion: '1.0.0', error: null })).status).toBe(204);
  expect((await b.report({ appliedVersion: 'old', agentVersion: '1.0.0', error: 'RTNETLINK answers: Network is unreachable' })).status).toBe(204);
  const detail = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnel.id}`));
  expect(detail.routePush).toMatchObject({ targets: 3, applied: 1, failed: [{ name: 'vm-b', error: 'RTNETLINK answers: Network is unreachable' }] });
  expect(detail.routePush.pending).toHaveLength(1);
  // Each instance with its status, the error as a code the console translates, and the routing state.
  expect(detail.routePush.routing).toBe('routed');
  expect(detail.routePush.failed[0].errorCode).toBe('network_unreachable');
  expect(detail.routePush.instances.map((i: any) => [i.name, i.status, i.errorCode]).sort()).toEqual(
    [
      ['router of ' + w.vpcId, 'pending', null],
      ['vm-a', 'applied', null],
      ['vm-b', 'failed', 'network_unreachable'],
    ].sort(),
  );
  // Dropped: the routes stay for the hold-down, and the detail says how long.
  await db.query("UPDATE vpn_tunnels SET connection_state = 'connecting', disconnected_at = now() - interval '10 seconds' WHERE id = $1", [tunnel.id]);
  const held = (await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnel.id}`))).routePush;
  expect(held.routing).toBe('hold_down');
  expect(held.holdDownSecondsLeft).toBeGreaterThan(40);
  expect(held.holdDownSecondsLeft).toBeLessThanOrEqual(50);
  await db.query("UPDATE vpn_tunnels SET disconnected_at = now() - interval '2 minutes' WHERE id = $1", [tunnel.id]);
  expect((await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnel.id}`))).routePush).toMatchObject({ routing: 'not_connected', holdDownSecondsLeft: null });
  await db.query("UPDATE vpn_tunnels SET connection_state = 'connected', disconnected_at = NULL WHERE id = $1", [tunnel.id]);

  const admin = client(api, api.adminKey);
  const agents = await admin.ok(admin.get(`/api/v1/agents?vpcId=${w.vpcId}`));
  const vmA = agents.find((x: any) => x.instanceName === 'vm-a');
  expect(vmA).toMatchObject({ agentVersion: '1.0.0', upToDate: true, appliedVersion: woke.body.version });
  expect(new Date(vmA.lastCheckInAt).getTime()).toBeGreaterThan(started - 1000);

  // Editing remote subnets changes exactly the set; deleting the tunnel withdraws the routes.
  await t.ok(t.put(`/api/v1/vpn-tunnels/${tunnel.id}/subnets`, { localSubnetIds: [w.subnetIds[0]], remoteCidrs: ['172.16.1.0/24', '172.16.3.0/24'] }));
  expect((await a.routes()).body.routes.map((r: any) => r.destination)).toEqual(['172.16.1.0/24', '172.16.3.0/24']); // held down while it reconnects
  expect((await b.routes()).body.routes).toEqual([]);
  await t.ok(t.delete(`/api/v1/vpn-tunnels/${tunnel.id}`));
  expect((await a.routes()).body.routes).toEqual([]);
});

it('a report with a bad body names the field', async () => {
  const a = agent(await issue('vm-c'));
  const res = await a.report({ agentVersion: '1' });
  expect(res.status).toBe(400);
  expect(res.body.violations[0]).toMatchObject({ field: 'appliedVersion' });
});

it("a report riding on the long poll is recorded before it waits, as POST /report records it; an old agent's POST still works", async () => {
  const token = await issue('vm-c');
  const a = agent(token);
  const first = await a.routes();
  const readTarget = async () =>
    (await db.query('SELECT applied_version, agent_version, last_error, last_report_at FROM agent_targets WHERE instance_id = $1', [instanceIds['vm-c']]))
      .rows[0];

  // The poll carries the report and parks (nothing changes): the report is in the table meanwhile.
  const parked = api
    .http()
    .get(`/api/v1/agent/routes?version=${first.body.version}&wait=2&appliedVersion=${first.body.version}`)
    .set('Authorization', `Bearer ${token}`)
    .set('X-Agent-Version', '0.3.0')
    .then((res) => res);
  await new Promise((r) => setTimeout(r, 500));
  const reported = await readTarget();
  expect(reported).toMatchObject({ applied_version: first.body.version, agent_version: '0.3.0', last_error: null });
  expect(Date.now() - new Date(reported.last_report_at).getTime()).toBeLessThan(2000);
  const answered = await parked;
  expect(answered.status).toBe(200);
  expect(answered.body.version).toBe(first.body.version); // the wait ran out: the report did not end it

  // With an error (any characters), without a wait; without X-Agent-Version the stored one stays.
  const failed = await api
    .http()
    .get(`/api/v1/agent/routes?appliedVersion=&error=${encodeURIComponent('RTNETLINK answers: Network is unreachable & ü')}`)
    .set('Authorization', `Bearer ${token}`);
  expect(failed.status).toBe(200);
  expect(await readTarget()).toMatchObject({ applied_version: '', agent_version: '0.3.0', last_error: 'RTNETLINK answers: Network is unreachable & ü' });
  const admin = client(api, api.adminKey);
  const listed = (await admin.ok(admin.get(`/api/v1/agents?vpcId=${w.vpcId}`))).find((x: any) => x.instanceName === 'vm-c');
  expect(listed).toMatchObject({ upToDate: false, lastError: 'RTNETLINK answers: Network is unreachable & ü' });

  // A deployed agent's report (POST) keeps working beside it.
  expect((await a.report({ appliedVersion: first.body.version, agentVersion: '0.2.0', error: null })).status).toBe(204);
  expect(await readTarget()).toMatchObject({ applied_version: first.body.version, agent_version: '0.2.0', last_error: null });
});

it('a report on the poll with bad parameters names the field and records nothing', async () => {
  const token = await issue('vm-c');
  const poll = (q: string) => api.http().get(`/api/v1/agent/routes${q}`).set('Authorization', `Bearer ${token}`).set('X-Agent-Version', '0.3.0');
  const before = (await db.query('SELECT applied_version, last_error FROM agent_targets WHERE instance_id = $1', [instanceIds['vm-c']])).rows[0];
  for (const [q, field] of [
    [`?appliedVersion=${'v'.repeat(33)}`, 'appliedVersion'],
    [`?appliedVersion=v1&error=${'e'.repeat(1001)}`, 'error'],
    ['?error=boom', 'error'], // an error is part of a report: without appliedVersion it is refused
    ['?appliedVersion=v1&appliedVersion=v2', 'appliedVersion'],
  ] as const) {
    const res = await poll(q);
    expect({ q: q.slice(0, 40), status: res.status }).toEqual({ q: q.slice(0, 40), status: 400 });
    expect(res.body.violations.map((v: any) => v.field)).toContain(field);
  }
  expect((await db.query('SELECT applied_version, last_error FROM agent_targets WHERE instance_id = $1', [instanceIds['vm-c']])).rows[0]).toEqual(before);
});

it("the long poll is answered beside Nest's pipeline, its errors too, with the controller's answers", async () => {
  const { AgentTokenGuard } = await import('../../src/routes/agent-token.guard');
  const token = await issue('vm-b');
  const guard = jest.spyOn(AgentTokenGuard.prototype, 'canActivate');
  try {
    const poll = (q: string, auth = `Bearer ${token}`, path = '/api/v1/agent/routes') =>
      api.http().get(`${path}${q}`).set('Authorization', auth).set('X-Agent-Version', '0.3.0');
    const plain = await poll('');
    expect(plain.status).toBe(200);
    expect(Object.keys(plain.body)).toEqual(['version', 'routes', 'pollAfterSeconds']);
    const reported = await poll(`?version=${plain.body.version}&wait=0&appliedVersion=${plain.body.version}`);
    expect(reported.body).toEqual(plain.body);
    expect((await db.query('SELECT applied_version FROM agent_targets WHERE instance_id = $1', [instanceIds['vm-b']])).rows[0].applied_version).toBe(
      plain.body.version,
    );
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
    expect(plain.headers['x-content-type-options']).toBe('nosniff'); // the security headers still apply
    // The errors too, each as the controller answers it (its route also takes a trailing slash,
    // which the fast path leaves to it): the same status, body and Retry-After.
    const cases: [string, string, number][] = [
      ['?wait=31', `Bearer ${token}`, 400],
      ['?wait=31', 'Bearer unknown-token-0123456789', 401], // authentication before validation
      ['', 'Bearer unknown-token-0123456789', 401],
      ['', '', 401],
      ['?appliedVersion=v1&error=x&error=y', `Bearer ${token}`, 400],
    ];
    for (const [q, auth, status] of cases) {
      const res = await poll(q, auth);
      expect({ q, status: res.status, code: res.body.code }).toEqual({ q, status, code: status === 400 ? 'validation_failed' : 'unauthorized' });
      guard.mockClear();
      const viaController = await poll(q, auth, '/api/v1/agent/routes/');
      expect(guard).toHaveBeenCalledTimes(1);
      expect({ q, status: viaController.status, body: viaController.body }).toEqual({ q, status: res.status, body: res.body });
    }
    // The security headers are the ones every other answer carries (the fast path runs before helmet).
    const other = await api.http().get('/api/v1/vpcs');
    const named = (r: { headers: Record<string, string> }) =>
      Object.fromEntries(Object.entries(r.headers).filter(([k]) => !['date', 'etag', 'content-length', 'connection', 'keep-alive'].includes(k)));
    expect(named(plain)).toEqual(named(other));
    expect(Object.keys(named(plain)).length).toBeGreaterThan(10);
    // The same query twice (the second from the kept validation) answers the same.
    const again = await poll(`?version=${plain.body.version}&wait=0`);
    expect((await poll(`?version=${plain.body.version}&wait=0`)).body).toEqual(again.body);
    expect((await db.query('SELECT applied_version FROM agent_targets WHERE instance_id = $1', [instanceIds['vm-b']])).rows[0].applied_version).toBe(
      plain.body.version,
    ); // the refused report was not recorded
    guard.mockClear();
    await poll('');
    await poll('?wait=31');
    expect(guard).not.toHaveBeenCalled();
  } finally {
    guard.mockRestore();
  }
});

it("the worker's state writes wake the VPC's route agents only when a tunnel enters or leaves connected", async () => {
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 1)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'notify', ipAddress: '203.0.113.77' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: ['172.18.1.0/24'] })), 201);
  const told: string[] = [];
  const store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)), async (vpcId) => {
    told.push(vpcId);
  });
  const v = tunnel.configVersion;
  const failure = { code: 'peer_unreachable', message: 'no answer', phase: 1, tries: 1 };
  const event = { kind: 'attempt' as const, result: 'failure' as const, reasonCode: 'peer_unreachable', message: 'no answer' };
  // Each step: the write, and whether the VPC's agents were told (the routes changed).
  const steps: [string, () => Promise<boolean>, boolean][] = [
    ['connecting (from connecting)', () => store.setConnection(tunnel.id, v, 'connecting', null), false],
    ['a failed try, with its log line', () => store.setConnection(tunnel.id, v, 'connecting', failure, new Date(), undefined, event), false],
    ['phase1_failed', () => store.setConnection(tunnel.id, v, 'phase1_failed', { ...failure, tries: 3 }), false],
    ['connected', () => store.setConnection(tunnel.id, v, 'connected', null), true],
    ['connected again (a rekey)', () => store.setConnection(tunnel.id, v, 'connected', null), false],
    ['phase2_failed (leaving connected)', () => store.setConnection(tunnel.id, v, 'phase2_failed', failure), true],
    ['connecting after it', () => store.setConnection(tunnel.id, v, 'connecting', null), false],
    [
      'connected, with its log line',
      () => store.setConnection(tunnel.id, v, 'connected', null, new Date(), undefined, { kind: 'connected', result: 'success' }),
      true,
    ],
  ];
  const seen: { name: string; told: boolean }[] = [];
  for (const [name, write] of steps) {
    told.length = 0;
    expect(await write()).toBe(true);
    seen.push({ name, told: told.length > 0 });
    expect(told.every((vpc) => vpc === w.vpcId)).toBe(true);
  }
  expect(seen).toEqual(steps.map(([name, , expected]) => ({ name, told: expected })));
  // A write for another version changes nothing and tells nobody.
  told.length = 0;
  expect(await store.setConnection(tunnel.id, v + 1, 'phase1_failed', failure)).toBe(false);
  expect(told).toEqual([]);
  expect((await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnel.id}`))).connectionState).toBe('connected');
  // The log lines of the writes that carried one are there.
  const lines = (await db.query('SELECT kind FROM tunnel_events WHERE tunnel_id = $1 ORDER BY at', [tunnel.id])).rows.map((r) => r.kind);
  expect(lines).toEqual(expect.arrayContaining(['attempt', 'connected']));
});

it('state writes racing on one tunnel, and failures on many at once: one notification per flip, none for failures', async () => {
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 2)), 201);
  const told: string[] = [];
  const store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)), async (vpcId) => {
    told.push(vpcId);
  });
  const tunnels = [];
  for (let i = 0; i < 6; i++) {
    const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: `race-${i}`, ipAddress: `203.0.113.${90 + i}` }), 201);
    tunnels.push(await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { remoteCidrs: [`172.19.${i}.0/24`] })), 201));
  }
  const [one] = tunnels;
  const failure = { code: 'peer_unreachable', message: 'no answer', phase: 1, tries: 1 };
  // Eight workers' worth of the same news at once (each on its own connection of the pool): the
  // tunnel entered `connected` once, so the agents are told once, whichever write got there first.
  expect(await Promise.all(Array.from({ length: 8 }, () => store.setConnection(one.id, one.configVersion, 'connected', null)))).toEqual(Array(8).fill(true));
  expect(told).toEqual([w.vpcId]);
  told.length = 0;
  expect(await Promise.all(Array.from({ length: 8 }, () => store.setConnection(one.id, one.configVersion, 'phase1_failed', failure)))).toEqual(
    Array(8).fill(true),
  );
  expect(told).toEqual([w.vpcId]);
  // Every tunnel failing its tries at once, three rounds of them: nobody's routes changed.
  told.length = 0;
  for (let round = 0; round < 3; round++)
    await Promise.all(tunnels.map((x) => store.setConnection(x.id, x.configVersion, 'connecting', { ...failure, tries: round + 1 })));
  expect(told).toEqual([]);
  const states = (await db.query('SELECT connection_state FROM vpn_tunnels WHERE id = ANY($1)', [tunnels.map((x) => x.id)])).rows;
  expect(states.map((r) => r.connection_state)).toEqual(Array(6).fill('connecting'));
});
