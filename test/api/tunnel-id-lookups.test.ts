// Lookups of tunnels by id take the primary key, whatever the statistics say (docs/decisions.md,
// "Tunnel state writes in batches"): the lists' trigram index for the id is on lower(id), which no
// `=`, `= ANY` or `IN` on id can use. When it was on id itself, pg_trgm's GIN served equality too,
// and on a never-analysed table the planner took it for the worker's 250 ids (13 s a statement
// instead of 2-3 ms). The search by id fragment still reads a trigram index, and finds the tunnel.
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { TUNNEL_WRITE_SQL } from '../../src/negotiation/negotiation.queries';
import { searchCondition } from '../../src/vpn/tunnels/tunnels.queries';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

const BULK = 3000;

let api: TestApi;
let w: TenantWorld;
let pg: Client;
let ids: string[];
let ginIndexes: string[];
let primaryKey: string;

beforeAll(async () => {
  api = await startTestApi();
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  // A host's first start on a fresh database: the table must stay unanalysed while it fills.
  await pg.query('ALTER TABLE vpn_tunnels SET (autovacuum_enabled = false)');
  w = await createTenantWorld(api, 'id-lookups', 1, 1);
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'site', ipAddress: '203.0.113.10' }), 201);
  const first = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { name: 'first' })), 201);
  // Copies of that tunnel under ids shaped like newId's (a common prefix, 8 lowercase characters).
  const seed = randomBytes(4).toString('hex');
  await pg.query(
    `INSERT INTO vpn_tunnels (id, tenant_id, name, gateway_id, peer_id, local_subnet_ids, remote_cidrs, psk_sealed, ike_policy, ipsec_policy)
     SELECT 'vpntnl-' || substr(md5($2 || i), 1, 8), t.tenant_id, 'bulk-' || i, t.gateway_id, t.peer_id, t.local_subnet_ids, t.remote_cidrs,
            t.psk_sealed, t.ike_policy, t.ipsec_policy
       FROM vpn_tunnels t, generate_series(1, $3::int) i WHERE t.id = $1`,
    [first.id, seed, BULK],
  );
  ids = (await pg.query<{ id: string }>('SELECT id FROM vpn_tunnels ORDER BY name LIMIT 250')).rows.map((r) => r.id);
  ginIndexes = (
    await pg.query<{ name: string }>(`SELECT c.relname AS name FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relkind = 'i' AND a.amname = 'gin'`)
  ).rows.map((r) => r.name);
  primaryKey = (await pg.query<{ name: string }>(`SELECT conname AS name FROM pg_constraint WHERE conrelid = 'vpn_tunnels'::regclass AND contype = 'p'`))
    .rows[0].name;
});

afterAll(async () => {
  await pg?.end();
  await api?.close();
});

/** The indexes the statement's plan reads, planned with sequential and plain index scans off (only bitmap and index-only scans left). */
async function indexesOfPlan(sql: string, params: unknown[]): Promise<string[]> {
  await pg.query('BEGIN');
  try {
    await pg.query('SET LOCAL enable_seqscan = off');
    await pg.query('SET LOCAL enable_indexscan = off');
    const [row] = (await pg.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows;
    const found: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (typeof n['Index Name'] === 'string') found.push(n['Index Name']);
      Object.values(n).forEach(walk);
    };
    walk(row['QUERY PLAN']);
    return found;
  } finally {
    await pg.query('ROLLBACK');
  }
}

it('the table is as on a first start: thousands of tunnels, never analysed', async () => {
  const { rows } = await pg.query(
    `SELECT (SELECT count(*)::int FROM vpn_tunnels) AS rows, s.last_analyze, s.last_autoanalyze, (SELECT count(*)::int FROM pg_statistic WHERE starelid = s.relid) AS stats
       FROM pg_stat_user_tables s WHERE s.relname = 'vpn_tunnels'`,
  );
  expect(rows[0]).toMatchObject({ rows: BULK + 1, last_analyze: null, last_autoanalyze: null, stats: 0 });
  expect(ids).toHaveLength(250);
  // What the lookups must not take: the tunnel name's trigram index, at least, is a GIN index.
  expect(ginIndexes).toContain('IDX_vpn_tunnels_name_trgm');
});

it("no lookup by id is planned on a GIN index: the worker's batched writes, = ANY and IN of 250 ids", async () => {
  const writes = JSON.stringify(ids.map((id) => ({ id, version: 1 })));
  const statements: [string, string, unknown[]][] = [
    ...Object.entries(TUNNEL_WRITE_SQL).map(([kind, sql]): [string, string, unknown[]] => [`worker's ${kind} write`, sql, [writes]]),
    ['= ANY, locked in id order', 'SELECT t.* FROM vpn_tunnels t WHERE t.id = ANY($1) ORDER BY t.id FOR UPDATE', [ids]],
    // As TypeORM writes lockTunnels' `t.id IN (:...ids)` and desiredTunnels' ids: one parameter each.
    ['IN, as TypeORM writes it', `SELECT t.* FROM vpn_tunnels t WHERE t.id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY t.id FOR UPDATE`, ids],
  ];
  for (const [what, sql, params] of statements) {
    const used = await indexesOfPlan(sql, params);
    expect({ what, gin: used.filter((i) => ginIndexes.includes(i)) }).toEqual({ what, gin: [] });
    expect({ what, primaryKey: used.includes(primaryKey) }).toEqual({ what, primaryKey: true });
  }
});

it('the search by id fragment reads the trigram index on lower(id), and finds the tunnel whatever the case', async () => {
  const target = ids[17];
  const fragment = target.slice(-6).toUpperCase();
  const like = `%${fragment}%`;
  const used = await indexesOfPlan(`SELECT t.id FROM vpn_tunnels t WHERE ${searchCondition('$1', '$2')}`, [w.tenantId, like]);
  expect(used).toContain('IDX_vpn_tunnels_id_lower_trgm');
  const listed = await client(api, w.key).ok(client(api, w.key).get(`/api/v1/vpn-tunnels?q=${fragment}`));
  expect(listed.items.map((t: { id: string }) => t.id)).toContain(target);
  const { rows } = await pg.query<{ id: string }>(`SELECT id FROM vpn_tunnels WHERE id ILIKE $1`, [like]);
  expect(listed.total).toBe(rows.length);
});
