// The searched tunnel list's generic plan (decisions.md, "The tunnel list in one statement"): the
// statement is prepared once per session of the generic-plan pool, whose sessions start with
// plan_cache_mode=force_generic_plan and read-only, so it runs alone in one round trip; TypeORM's
// pool, where every other statement runs, stays in auto mode.
import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { resolveListQuery } from '../../src/common/list-query';
import { GENERIC_PLAN_APPLICATION, GenericPlans } from '../../src/database/generic-plans';
import { TUNNEL_SORT, tunnelListStatement } from '../../src/vpn/tunnels/tunnels.queries';
import { startTestApi, TestApi } from '../support/api';
import { client } from '../support/fixtures';

let api: TestApi;
let probe: Client;
let plans: GenericPlans;

beforeAll(async () => {
  api = await startTestApi();
  probe = new Client({ connectionString: api.databaseUrl });
  await probe.connect();
  // One session, so every query below runs on the one whose prepared statements it reads.
  plans = new GenericPlans(api.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await plans?.end();
  await probe?.end();
  await api?.close();
});

it('a searched list runs on a generic plan, an unsearched or filtered one is planned for its values', () => {
  const list = (query: Record<string, string | number>) => tunnelListStatement('tenant-x', resolveListQuery(query, TUNNEL_SORT), query);
  expect(list({ q: 'fra' }).genericPlan).toBe(true);
  expect(list({ q: 'fra', sort: 'name', order: 'asc' }).genericPlan).toBe(true);
  expect(list({}).genericPlan).toBe(false);
  expect(list({ offset: 5000 }).genericPlan).toBe(false);
  expect(list({ connectionState: 'connected' }).genericPlan).toBe(false);
});

it('reuses one prepared statement with a generic plan across values, on a read-only session', async () => {
  const sql = 'SELECT n FROM generate_series(1, 10) n WHERE n % $1 = 0 ORDER BY n';
  expect(await plans.query<{ n: number }>(sql, [3])).toEqual([{ n: 3 }, { n: 6 }, { n: 9 }]);
  expect(await plans.query<{ n: number }>(sql, [5])).toEqual([{ n: 5 }, { n: 10 }]);
  const [prepared] = await plans.query('SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1', [sql]);
  expect(prepared).toEqual({ generic_plans: '2', custom_plans: '0' });
  const [mode] = await plans.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode', []);
  expect(mode.plan_cache_mode).toBe('force_generic_plan');
  await expect(plans.query('CREATE TEMP TABLE nothing_written (n int)', [])).rejects.toThrow(/read-only transaction/);
});

it('a failing statement leaves the session usable', async () => {
  const sql = 'SELECT 10 / $1::int AS q';
  await expect(plans.query(sql, [0])).rejects.toThrow(/division by zero/);
  expect(await plans.query<{ q: number }>(sql, [2])).toEqual([{ q: 5 }]);
});

it("the API's searched list is the generic-plan session's only statement; TypeORM's pool stays in auto mode", async () => {
  const admin = client(api, api.adminKey);
  const tenant = await admin.ok(admin.post('/api/v1/tenants', { name: 'plan-probe' }), 201);
  const key = { Authorization: `Bearer ${(await admin.ok(admin.post(`/api/v1/tenants/${tenant.id}/api-keys`, { name: 'probe' }), 201)).key}` };
  const searched = await api.http().get('/api/v1/vpn-tunnels?q=frankfurt').set(key).expect(200);
  expect(searched.body).toMatchObject({ items: [], total: 0 });
  // The session's last statement is the list itself, and it is not left in a transaction: no BEGIN, SET LOCAL or COMMIT around it.
  const [own] = await plans.query<{ pid: number }>('SELECT pg_backend_pid() AS pid', []);
  const { rows: sessions } = await probe.query<{ query: string; state: string }>(
    'SELECT query, state FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> $2',
    [GENERIC_PLAN_APPLICATION, own.pid],
  );
  expect(sessions).toHaveLength(1);
  expect(sessions[0].query).toMatch(/^WITH m AS MATERIALIZED/);
  expect(sessions[0].state).toBe('idle');
  await api.http().get('/api/v1/vpn-tunnels').set(key).expect(200);
  const [typeorm] = (await api.app.get(DataSource).query('SHOW plan_cache_mode')) as { plan_cache_mode: string }[];
  expect(typeorm.plan_cache_mode).toBe('auto');
});
