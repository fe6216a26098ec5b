// Failed authentication is throttled per client address (Redis-backed: it holds across replicas),
// answered with 429 + Retry-After, and recovers when the window ends; each tenant has a request
// budget per minute. X-Forwarded-For (trusted from loopback here) gives each test its own client.
import { randomBytes } from 'crypto';
import request from 'supertest';
import { startTestApi, TestApi } from '../support/api';
import { createTenantWorld, TenantWorld } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let other: TenantWorld;
let setup: TestApi;

beforeAll(async () => {
  api = await startTestApi({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '2', TENANT_RATE_LIMIT_PER_MINUTE: '40', TRUST_PROXY: 'loopback' }, [
    'warn',
    'error',
  ]);
  // The other suites' wrong keys count against 127.0.0.1 in the shared Redis: the setup calls
  // from an address of its own.
  const setupClient = `198.18.250.${randomBytes(1)[0]}`;
  setup = { ...api, http: () => request.agent(api.app.getHttpServer()).set('X-Forwarded-For', setupClient) } as unknown as TestApi;
  w = await createTenantWorld(setup, 'throttle', 1);
  other = await createTenantWorld(setup, 'unthrottled', 2);
});
afterAll(() => api?.close());

const someClient = () => `192.0.2.${1 + (randomBytes(1)[0] % 250)}`;
const as = (client: string, key: string, path = '/api/v1/vpcs') => api.http().get(path).set('X-Forwarded-For', client).set('Authorization', `Bearer ${key}`);

it('429 with Retry-After after N failed authentications from one client, even for a valid key; recovers after the window', async () => {
  const spy = jest.spyOn(process.stdout, 'write');
  const client = someClient();
  const wrongKey = `guess-${randomBytes(16).toString('hex')}`;
  for (let i = 0; i < 3; i++) expect((await as(client, wrongKey)).status).toBe(401);
  const blocked = await as(client, wrongKey);
  expect(blocked.status).toBe(429);
  expect(blocked.body.code).toBe('too_many_requests');
  expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(2);
  // The right key does not get through either while the client is blocked (no validity oracle)...
  expect((await as(client, w.key)).status).toBe(429);
  // ...but another client is not affected.
  expect((await as(`198.19.${randomBytes(1)[0]}.1`, w.key)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 2200));
  expect((await as(client, w.key)).status).toBe(200);
  // Logged with the client and a key prefix, never the key itself.
  const lines = spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('failed authentication'));
  spy.mockRestore();
  expect(lines.length).toBeGreaterThanOrEqual(3);
  expect(lines.join('\n')).toContain(client);
  expect(lines.join('\n')).not.toContain(wrongKey);
});

it('agent tokens count as failed authentication too', async () => {
  const client = `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  for (let i = 0; i < 3; i++) expect((await as(client, 'wrong-agent-token-0123456789', '/api/v1/agent/routes')).status).toBe(401);
  expect((await as(client, 'wrong-agent-token-0123456789', '/api/v1/agent/routes')).status).toBe(429);
});

it('a tenant over its per-minute budget gets 429 + Retry-After; other tenants and operators are not limited', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 45; i++) statuses.push((await as('198.51.100.7', w.key)).status);
  expect(statuses.slice(0, 40 - 5).every((s) => s === 200)).toBe(true); // (the fixture used a few)
  const refused = await as('198.51.100.7', w.key);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect((await as('198.51.100.7', other.key)).status).toBe(200);
  expect((await as('198.51.100.7', api.adminKey)).status).toBe(200);
});

it("a blocked client's requests with a valid key are refused without counting against the tenant's budget", async () => {
  // The block check and the budget's count are one Redis script: a refused request must not be counted.
  const third = await createTenantWorld(setup, 'blocked-budget', 3);
  const client = someClient();
  for (let i = 0; i < 3; i++) expect((await as(client, `guess-${randomBytes(16).toString('hex')}`)).status).toBe(401);
  const blocked: number[] = [];
  for (let i = 0; i < 45; i++) blocked.push((await as(client, third.key)).status);
  expect(new Set(blocked)).toEqual(new Set([429]));
  // Budget 40 a minute: had the 45 refused requests counted, none of these would get through.
  const elsewhere: number[] = [];
  for (let i = 0; i < 30; i++) elsewhere.push((await as(`198.18.${randomBytes(1)[0]}.9`, third.key)).status);
  expect(new Set(elsewhere)).toEqual(new Set([200]));
});
