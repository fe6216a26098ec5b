// EXPLAIN ANALYZE of the exact SQL the API runs for a list: the real service builds the query
// (TypeORM), a logger captures it with its parameters, PostgreSQL explains each statement.
import { DataSource, Logger } from 'typeorm';
import { resolveListQuery } from '../../src/common/list-query';
import { dataSourceOptions } from '../../src/database/data-source';
import { PEER_SORT, PeerQueries } from '../../src/vpn/peers/peers.queries';
import { TunnelListQueryDto } from '../../src/vpn/tunnels/tunnel.dto';
import { TUNNEL_SORT, TunnelQueries } from '../../src/vpn/tunnels/tunnels.queries';

export interface Explained {
  /** Which statement: the page (rows) or the total (count). */
  statement: 'page' | 'count';
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

/** Runs the service's list once, then EXPLAIN (ANALYZE, BUFFERS) on each SELECT it issued. */
export async function explainList(url: string, tenantId: string, kind: ListKind, query: Record<string, string | number>): Promise<Explained[]> {
  const capture = new Capture();
  const ds = new DataSource(dataSourceOptions(url, { logging: ['query'], logger: capture }));
  await ds.initialize();
  try {
    capture.on = true;
    if (kind === 'tunnels') {
      // TunnelsService.list is this query module's list, unchanged.
      await new TunnelQueries(ds).list(tenantId, resolveListQuery(query, TUNNEL_SORT), query as unknown as TunnelListQueryDto);
    } else {
      await new PeerQueries(ds).list(tenantId, resolveListQuery(query, PEER_SORT));
    }
    capture.on = false;
    const out: Explained[] = [];
    for (const q of capture.queries.filter((x) => /^\s*SELECT/i.test(x.sql))) {
      const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.params);
      const plan = rows.map((r) => r['QUERY PLAN']);
      const ms = (label: string) => Number(/([\d.]+) ms/.exec(plan.find((l) => l.startsWith(label)) ?? '')?.[1] ?? NaN);
      out.push({ statement: /COUNT\(/i.test(q.sql) ? 'count' : 'page', executionMs: ms('Execution Time'), planningMs: ms('Planning Time'), sql: q.sql, plan });
    }
    return out;
  } finally {
    await ds.destroy();
  }
}
