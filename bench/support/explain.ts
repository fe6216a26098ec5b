// EXPLAIN ANALYZE of the exact SQL the API runs for a list: the real service builds the query
// (TypeORM), a logger captures it with its parameters, PostgreSQL explains each statement.
import { DataSource, Logger } from 'typeorm';
import { resolveListQuery } from '../../src/common/list-query';
import { dataSourceOptions } from '../../src/database/data-source';
import { PEER_SORT, PeerQueries } from '../../src/vpn/peers/peers.queries';
import { TunnelListQueryDto } from '../../src/vpn/tunnels/tunnel.dto';
import { TUNNEL_SORT, TunnelQueries } from '../../src/vpn/tunnels/tunnels.queries';

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

/** The SELECT statements (SQL and parameters) one list request of the service issues, in order. */
export async function listStatements(
  url: string,
  tenantId: string,
  kind: ListKind,
  queries: Record<string, string | number>[],
): Promise<{ sql: string; params: unknown[] }[][]> {
  const capture = new Capture();
  const ds = new DataSource(dataSourceOptions(url, { logging: ['query'], logger: capture }));
  await ds.initialize();
  try {
    const out: { sql: string; params: unknown[] }[][] = [];
    for (const query of queries) {
      capture.queries = [];
      capture.on = true;
      if (kind === 'tunnels') {
        // TunnelsService.list is this query module's list, unchanged.
        await new TunnelQueries(ds).list(tenantId, resolveListQuery(query, TUNNEL_SORT), query as unknown as TunnelListQueryDto);
      } else {
        await new PeerQueries(ds).list(tenantId, resolveListQuery(query, PEER_SORT));
      }
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

/** Runs the service's list once, then EXPLAIN (ANALYZE, BUFFERS) on each SELECT it issued. */
export async function explainList(url: string, tenantId: string, kind: ListKind, query: Record<string, string | number>): Promise<Explained[]> {
  const [statements] = await listStatements(url, tenantId, kind, [query]);
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  try {
    const out: Explained[] = [];
    let paged = false;
    for (const q of statements) {
      const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params);
      const plan = rows.map((r) => r['QUERY PLAN']);
      const ms = (label: string) => Number(/([\d.]+) ms/.exec(plan.find((l) => l.startsWith(label)) ?? '')?.[1] ?? NaN);
      const statement = isCount(q.sql) ? 'count' : paged ? 'rows' : 'page';
      if (statement === 'page') paged = true;
      out.push({ statement, executionMs: ms('Execution Time'), planningMs: ms('Planning Time'), sql: q.sql, plan });
    }
    return out;
  } finally {
    await ds.destroy();
  }
}
