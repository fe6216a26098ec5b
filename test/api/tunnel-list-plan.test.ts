// The searched tunnel list's generic plan (decisions.md, "The tunnel list in one statement"): the
// statement is prepared once per connection and run with plan_cache_mode forced for its own
// transaction only, so the pooled connection goes back as it came (no open transaction, mode auto),
// also when the statement fails.
import { Client } from 'pg';
import { resolveListQuery } from '../../src/common/list-query';
import { TUNNEL_SORT, tunnelListStatement, withGenericPlan } from '../../src/vpn/tunnels/tunnels.queries';
import { createTestDatabase } from '../support/database';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let c: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  c = new Client({ connectionString: db.url });
  await c.connect();
});

afterAll(async () => {
  await c?.end();
  await db?.drop();
});

/** What a pooled connection must be like when it goes back to the pool. */
async function connectionState() {
  const mode = (await c.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode;
  const readOnly = (await c.query('SHOW transaction_read_only')).rows[0].transaction_read_only;
  return { mode, readOnly };
}

it('a searched list runs on a generic plan, an unsearched or filtered one is planned for its values', () => {
  const list = (query: Record<string, string | number>) => tunnelListStatement('tenant-x', resolveListQuery(query, TUNNEL_SORT), query);
  expect(list({ q: 'fra' }).genericPlan).toBe(true);
  expect(list({ q: 'fra', sort: 'name', order: 'asc' }).genericPlan).toBe(true);
  expect(list({}).genericPlan).toBe(false);
  expect(list({ offset: 5000 }).genericPlan).toBe(false);
  expect(list({ connectionState: 'connected' }).genericPlan).toBe(false);
});

it('reuses one prepared statement with a generic plan across values, and leaves the connection as it was', async () => {
  const sql = 'SELECT n FROM generate_series(1, 10) n WHERE n % $1 = 0 ORDER BY n';
  expect(await withGenericPlan<{ n: number }>(c, sql, [3])).toEqual([{ n: 3 }, { n: 6 }, { n: 9 }]);
  expect(await withGenericPlan<{ n: number }>(c, sql, [5])).toEqual([{ n: 5 }, { n: 10 }]);
  const [prepared] = (await c.query('SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1', [sql])).rows;
  expect(prepared).toEqual({ generic_plans: '2', custom_plans: '0' });
  expect(await connectionState()).toEqual({ mode: 'auto', readOnly: 'off' });
});

it('a failing statement rolls back: the connection is usable, outside any transaction, mode auto', async () => {
  const sql = 'SELECT 10 / $1::int AS q';
  await expect(withGenericPlan(c, sql, [0])).rejects.toThrow(/division by zero/);
  expect(await connectionState()).toEqual({ mode: 'auto', readOnly: 'off' });
  expect(await withGenericPlan<{ q: number }>(c, sql, [2])).toEqual([{ q: 5 }]);
});
