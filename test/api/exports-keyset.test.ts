// keysetRows (the exports' row source) against real PostgreSQL: for every sort column and direction
// and several page sizes, the pages together are exactly the rows of one ORDER BY query, in the
// same order: ties on the sort column (ids decide), NULLs (last ascending, first descending),
// timestamps with microseconds, and the search.
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { keysetRawRows, keysetRows } from '../../src/exports/keyset.queries';
import { ExternalIp } from '../../src/inventory/external-ip.entity';
import { PeerGateway } from '../../src/vpn/peers/peer-gateway.entity';
import { startTestApi, TestApi } from '../support/api';

let api: TestApi;
let ds: DataSource;
let pg: Client;
const TENANT = 'tenant-keyset01';

beforeAll(async () => {
  api = await startTestApi();
  ds = api.app.get<DataSource>(getDataSourceToken());
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  await pg.query(`INSERT INTO tenants (id, name) VALUES ($1, 'keyset'), ('tenant-keyset02', 'other')`, [TENANT]);
  await pg.query(`INSERT INTO data_centers (id, name, region) VALUES ('dc-keyset01', 'dc', 'r')`);
  // 37 peers: 4 names (ties), created_at in microseconds with ties every third row.
  await pg.query(
    `INSERT INTO peer_gateways (id, tenant_id, name, remark, ip_address, tunnel_count, created_at, updated_at)
    SELECT 'rgw-k' || lpad(i::text, 4, '0'), $1, (ARRAY['alpha', 'Beta', 'gamma', 'beta'])[1 + i % 4], '',
           '203.0.113.' || (1 + i % 5), i % 3,
           timestamptz '2026-01-01 00:00:00.000001+00' + ((i / 3) * 1001) * interval '1 microsecond', now()
    FROM generate_series(0, 36) i`,
    [TENANT],
  );
  // Another tenant's peer: never in the rows.
  await pg.query(
    `INSERT INTO peer_gateways (id, tenant_id, name, remark, ip_address, tunnel_count) VALUES ('rgw-other01', 'tenant-keyset02', 'alpha', '', '203.0.113.1', 0)`,
  );
  // 29 external IPs: router_ip NULL for every fourth, otherwise one of three values (ties).
  await pg.query(
    `INSERT INTO external_ips (id, tenant_id, data_center_id, address, prefix_length, router_ip)
    SELECT 'eip-k' || lpad(i::text, 4, '0'), $1, 'dc-keyset01', '198.51.100.' || (10 + i), 24,
           CASE WHEN i % 4 = 0 THEN NULL ELSE '198.51.100.' || (i % 3 + 1) END
    FROM generate_series(0, 28) i`,
    [TENANT],
  );
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
});

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

async function expectedIds(table: string, column: string, order: 'ASC' | 'DESC', where = ''): Promise<string[]> {
  const res = await pg.query(`SELECT id FROM ${table} WHERE tenant_id = $1 ${where} ORDER BY ${column} ${order}, id ${order}`, [TENANT]);
  return res.rows.map((r) => r.id);
}

const peers = () => ds.getRepository(PeerGateway).createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId: TENANT });
const ips = () => ds.getRepository(ExternalIp).createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId: TENANT });

describe.each([1, 3, 7, 1000])('page size %i', (pageSize) => {
  it.each([['name'], ['created_at'], ['tunnel_count'], ['ip_address']])('peers by %s, both directions', async (column) => {
    for (const order of ['ASC', 'DESC'] as const) {
      const got = await collect(keysetRows(peers, { sortColumn: `p.${column}`, order, like: null }, [], pageSize));
      const want = await expectedIds('peer_gateways', column, order);
      expect(want).toHaveLength(37);
      expect(got.map((p) => p.id)).toEqual(want);
    }
  });

  it('a nullable column: NULLs last ascending, first descending, none lost or repeated', async () => {
    for (const order of ['ASC', 'DESC'] as const) {
      const got = await collect(keysetRows(ips, { sortColumn: 'e.router_ip', order, like: null }, [], pageSize));
      const want = await expectedIds('external_ips', 'router_ip', order);
      expect(want).toHaveLength(29);
      expect(got.map((e) => e.id)).toEqual(want);
      expect(got.filter((e) => e.routerIp === null)).toHaveLength(8);
    }
  });

  it('raw rows (a projection, no entity hydration): the same rows, only the selected columns', async () => {
    for (const order of ['ASC', 'DESC'] as const) {
      const projected = () => peers().select('p.name', 'name').addSelect('p.created_at', 'createdAt');
      const got = await collect(keysetRawRows<{ name: string; createdAt: Date }>(projected, { sortColumn: 'p.created_at', order, like: null }, [], pageSize));
      expect(got.map((r: any) => r.__id)).toEqual(await expectedIds('peer_gateways', 'created_at', order));
      expect(got[0].createdAt).toBeInstanceOf(Date);
      expect(Object.keys(got[0]).sort()).toEqual(['__cursor', '__id', 'createdAt', 'name']);
    }
  });

  it('the search, like the list (ILIKE over the search columns)', async () => {
    const got = await collect(keysetRows(peers, { sortColumn: 'p.created_at', order: 'DESC', like: '%beta%' }, ['p.name', 'p.id'], pageSize));
    const want = await expectedIds('peer_gateways', 'created_at', 'DESC', `AND name ILIKE '%beta%'`);
    expect(want.length).toBeGreaterThan(10);
    expect(got.map((p) => p.id)).toEqual(want);
  });
});

it('reads a page at a time (one statement per page) and stops when the consumer stops', async () => {
  const statements: string[] = [];
  const build = () => {
    const qb = peers();
    const getRawAndEntities = qb.getRawAndEntities.bind(qb);
    qb.getRawAndEntities = async () => {
      statements.push(qb.getQuery());
      return getRawAndEntities();
    };
    return qb;
  };
  const all = await collect(keysetRows(build, { sortColumn: 'p.name', order: 'ASC', like: null }, [], 10));
  expect(all).toHaveLength(37);
  // The rows with a name: 10 + 10 + 10 + 7; then the (empty) pass over NULL names.
  expect(statements).toHaveLength(5);
  expect(statements[0]).not.toMatch(/__kid/);
  expect(statements[1]).toContain('"p"."name" >= :__kv AND ("p"."name" > :__kv OR "p"."id" > :__kid)');
  expect(statements[1]).toMatch(/LIMIT 10/);
  expect(statements[4]).toContain('"p"."name" IS NULL');

  statements.length = 0;
  let seen = 0;
  for await (const _ of keysetRows(build, { sortColumn: 'p.name', order: 'ASC', like: null }, [], 10)) {
    if (++seen === 12) break;
  }
  expect(statements).toHaveLength(2);
});
