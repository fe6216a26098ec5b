// Agent authentication (agentTargetOf, shared by AgentTokenGuard and the long poll's fast path):
// a database error during the token's look-up is a 503 and not a failed authentication; the
// look-ups of one moment are one statement, which records the reports the polls carry.
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import request from 'supertest';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, TenantWorld } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let db: Client;
let admin: ReturnType<typeof client>;
const instanceIds: string[] = [];

beforeAll(async () => {
  // Three failed authentications block a client (as the throttling suite); X-Forwarded-For gives
  // each test a client of its own.
  api = await startTestApi({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '10', TRUST_PROXY: 'loopback' });
  // Other suites' wrong keys count against 127.0.0.1 in the shared Redis: the setup calls from an
  // address of its own.
  const setupClient = `198.18.251.${randomBytes(1)[0]}`;
  const setup = { ...api, http: () => request.agent(api.app.getHttpServer()).set('X-Forwarded-For', setupClient) } as unknown as TestApi;
  w = await createTenantWorld(setup, 'agentauth', 1);
  admin = client(setup, api.adminKey);
  for (let i = 0; i < 4; i++) {
    instanceIds.push((await admin.ok(admin.post('/api/v1/instances', { subnetId: w.subnetIds[0], name: `vm-${i}`, privateIp: `10.1.1.${10 + i}` }), 201)).id);
  }
  db = new Client({ connectionString: api.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await api?.close();
});

const someClient = () => `198.51.100.${1 + (randomBytes(1)[0] % 250)}`;
async function issue(i: number): Promise<string> {
  return (await admin.ok(admin.post(`/api/v1/instances/${instanceIds[i]}/agent-token`), 201)).token;
}
const poll = (from: string, token: string, q = '') =>
  api.http().get(`/api/v1/agent/routes${q}`).set('X-Forwarded-For', from).set('Authorization', `Bearer ${token}`).set('X-Agent-Version', '0.3.0');
const target = async (i: number) =>
  (await db.query('SELECT applied_version, agent_version, last_error FROM agent_targets WHERE instance_id = $1', [instanceIds[i]])).rows[0];

it('a PostgreSQL error during the token look-up is a 503 with Retry-After, not a failed authentication: the agent is not throttled for it', async () => {
  const token = await issue(0);
  const from = someClient();
  const before = await target(0);
  // A real failure of the look-up's statement: the column it reads is gone (this suite's own database).
  await db.query('ALTER TABLE agent_targets RENAME COLUMN token_hash TO token_hash_away');
  try {
    for (const q of ['', '?appliedVersion=v9', '?version=x&wait=1']) {
      for (let i = 0; i < 2; i++) {
        const res = await poll(from, token, q);
        expect({ q, status: res.status, code: res.body.code }).toEqual({ q, status: 503, code: 'service_unavailable' });
        expect(res.headers['retry-after']).toBe('5');
        expect(res.body.message).toBe('PostgreSQL is unavailable; retry in a few seconds'); // no SQL in the answer
      }
    }
    // The controller's guard is the same function.
    const report = await api
      .http()
      .post('/api/v1/agent/report')
      .set('X-Forwarded-For', from)
      .set('Authorization', `Bearer ${token}`)
      .send({ appliedVersion: 'v9', agentVersion: '0.3.0', error: null });
    expect({ status: report.status, code: report.body.code }).toEqual({ status: 503, code: 'service_unavailable' });
  } finally {
    await db.query('ALTER TABLE agent_targets RENAME COLUMN token_hash_away TO token_hash');
  }
  expect(await target(0)).toEqual(before); // nothing recorded
  // Seven 503s from this client, over the limit of three failures: still not throttled.
  const after = await poll(from, token);
  expect(after.status).toBe(200);
  // An unknown token still counts: three, then this client is blocked (whatever the token).
  for (let i = 0; i < 3; i++) expect((await poll(from, 'unknown-agent-token-0123456789')).status).toBe(401);
  expect((await poll(from, token)).status).toBe(429);
});

it('look-ups made together (batched per event-loop turn): each poll gets its own target, the reports they carry are recorded, an unknown token among them is a 401', async () => {
  const tokens = [await issue(1), await issue(2), await issue(3)];
  const from = someClient();
  const [r1, r2, r3] = await Promise.all([
    poll(from, tokens[0], '?appliedVersion=a1'),
    poll(from, tokens[1], `?appliedVersion=a2&error=${encodeURIComponent('RTNETLINK answers: File exists')}`),
    poll(from, tokens[2]), // no report: recorded as it was
  ]);
  expect([r1.status, r2.status, r3.status]).toEqual([200, 200, 200]);
  expect(await target(1)).toMatchObject({ applied_version: 'a1', agent_version: '0.3.0', last_error: null });
  expect(await target(2)).toMatchObject({ applied_version: 'a2', agent_version: '0.3.0', last_error: 'RTNETLINK answers: File exists' });
  expect((await target(3)).applied_version).toBeNull();

  // Many at once, with the same token twice and an unknown one among them.
  const many = await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => poll(from, tokens[i % 3], `?appliedVersion=b${i % 3}`)),
    poll(from, tokens[0], '?appliedVersion=b0'),
    poll(from, 'unknown-agent-token-abcdefghijkl'),
  ]);
  expect(many.map((r) => r.status)).toEqual([...Array(11).fill(200), 401]);
  expect(many.slice(0, 11).every((r) => Array.isArray(r.body.routes))).toBe(true);
  for (const i of [1, 2, 3]) expect((await target(i)).applied_version).toBe(`b${i - 1}`);
});
