// EXPLAIN ANALYZE of the exact SQL the API runs for a list: the tunnel list's statement from the
// query module's own builder, the peers' captured by a logger from the real service (TypeORM),
// then PostgreSQL explains each statement.
import { Client as Pg } from 'pg';
import { DataSource, Logger } from 'typeorm';
import { resolveListQuery } from '../../src/common/list-query';
import { dataSourceOptions } from '../../src/database/data-source';
import { genericPlanName, genericPlanPoolConfig } from '../../src/database/generic-plans';
import { PEER_SORT, PeerQueries } from '../../src/vpn/peers/peers.queries';
import { TunnelListQueryDto } from '../../src/vpn/tunnels/tunnel.dto';
import { TUNNEL_SORT, tunnelListStatement } from '../../src/vpn/tunnels/tunnels.queries';

export interface Explained {
  /** Which statement: the page's ids, the total (count), or the page's rows with their joins. */
  statement: 'page' | 'rows' | 'count';
  executionMs: number;
  planningMs: number;
  sql: string;
  plan: string[];
}

class Capture implements Logger {
  queries: { sql: string; params: unknown[] }[] = [];
  on = false;
  logQuery(sql: string, params?: unknown[]) {
    if (this.on) this.queries.push({ sql, params: params ?? [] });
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

export type ListKind = 'tunnels' | 'peers';

/** A SELECT of a list request; `genericPlan`: the service runs it prepared, on a generic plan. */
export interface ListSelect {
  sql: string;
  params: unknown[];
  genericPlan?: boolean;
}

/** What runs a statement: a pg client or pool. */
export interface SqlRunner {
  query(q: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** Where a list's SELECTs run: plain sessions, and sessions of the generic-plan pool's kind (`genericPlanPoolConfig`). */
export interface ListClients {
  plain: SqlRunner;
  generic: SqlRunner;
}

/** Runs a list's SELECT the way the service does: prepared on a generic-plan session, or planned for its values. */
export async function runSelect(c: ListClients, st: ListSelect): Promise<unknown[]> {
  return st.genericPlan
    ? (await c.generic.query({ name: genericPlanName(st.sql), text: st.sql, values: st.params })).rows
    : (await c.plain.query({ text: st.sql, values: st.params })).rows;
}

/** The SELECT statements (SQL and parameters) one list request of the service issues, in order. */
export async function listStatements(url: string, tenantId: string, kind: ListKind, queries: Record<string, string | number>[]): Promise<ListSelect[][]> {
  if (kind === 'tunnels') {
    // The service's one statement (a page past the last, which also counts alone, is not benched).
    return queries.map((query) => [tunnelListStatement(tenantId, resolveListQuery(query, TUNNEL_SORT), query as unknown as TunnelListQueryDto)]);
  }
  const capture = new Capture();
  const ds = new DataSource(dataSourceOptions(url, { logging: ['query'], logger: capture }));
  await ds.initialize();
  try {
    const out: ListSelect[][] = [];
    for (const query of queries) {
      capture.queries = [];
      capture.on = true;
      await new PeerQueries(ds).list(tenantId, resolveListQuery(query, PEER_SORT));
      capture.on = false;
      out.push(capture.queries.filter((x) => /^\s*(SELECT|WITH)\b/i.test(x.sql)));
    }
    return out;
  } finally {
    await ds.destroy();
  }
}

// The first SELECT that is not a count pages the ids; later ones load the page's rows.
const isCount = (sql: string) => /^\s*SELECT COUNT\(/i.test(sql);

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each SELECT a list request issues, as the service runs it: a
 * prepared statement's generic plan through EXECUTE, any other planned for its values. Each runs
 * 3 times first, so the figures are a warm connection's (a new backend plans several times slower).
 */
export async function explainList(url: string, tenantId: string, kind: ListKind, query: Record<string, string | number>): Promise<Explained[]> {
  const [statements] = await listStatements(url, tenantId, kind, [query]);
  const c = { plain: new Pg({ connectionString: url }), generic: new Pg(genericPlanPoolConfig(url)) };
  await c.plain.connect();
  await c.generic.connect();
  try {
    const out: Explained[] = [];
    let paged = false;
    for (const q of statements) {
      for (let i = 0; i < 3; i++) await runSelect(c, q);
      // EXECUTE is a utility statement: its values are written out, not bound.
      const args = q.params.map((v) => (typeof v === 'number' ? String(v) : c.plain.escapeLiteral(String(v)))).join(', ');
      const rows = (
        q.genericPlan
          ? await c.generic.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE ${genericPlanName(q.sql)}(${args})`)
          : await c.plain.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params)
      ).rows;
      const plan = rows.map((r) => r['QUERY PLAN']);
      const ms = (label: string) => Number(/([\d.]+) ms/.exec(plan.find((l) => l.startsWith(label)) ?? '')?.[1] ?? NaN);
      const statement = isCount(q.sql) ? 'count' : paged ? 'rows' : 'page';
      if (statement === 'page') paged = true;
      out.push({ statement, executionMs: ms('Execution Time'), planningMs: ms('Planning Time'), sql: q.sql, plan });
    }
    return out;
  } finally {
    await c.plain.end();
    await c.generic.end();
  }
}
