import { DataSource, In } from 'typeorm';
import { TunnelEvent } from './tunnel-event.entity';
import type { TunnelLogEntryDto, TunnelLogQueryDto } from './tunnel.dto';
import { parseIsoDateTime } from '../../common/validators';

// What makes two consecutive entries "the same" for collapsing: a retry loop against a silent peer
// writes the same kind, result, phase, reason and configuration version every 12 s.
const SAME = ['kind', 'result', 'phase', 'reason_code', 'config_version'].map((c) => `${c} IS NOT DISTINCT FROM lag(${c}) OVER w`).join(' AND ');

/**
 * One page of a tunnel's connection log, newest first, filtered, optionally with runs of identical
 * entries folded into one (gaps and islands: a run starts where an entry differs from the one
 * before it). Filters apply first, so "failed 40 times since 21:02" counts matching entries only.
 */
export async function tunnelLogPage(
  db: DataSource,
  tunnelId: string,
  q: TunnelLogQueryDto,
): Promise<{ items: TunnelLogEntryDto[]; total: number; offset: number; limit: number }> {
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 20;
  const params: unknown[] = [tunnelId];
  const where = ['tunnel_id = $1'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.kind) add('kind = ?', q.kind);
  if (q.result) add('result = ?', q.result);
  if (q.reasonCode) add('reason_code = ?', q.reasonCode);
  if (q.from) add('at >= ?', parseIsoDateTime(q.from));
  if (q.to) add('at <= ?', parseIsoDateTime(q.to));
  if (q.q) add(`(message ILIKE ? OR array_to_string(lines, E'\\n') ILIKE $${params.length + 1})`, `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const starts = q.collapse === 'true' ? `CASE WHEN ${SAME} THEN 0 ELSE 1 END` : '1';
  params.push(offset, limit);
  const groups: { id: string; repeats: number; first_at: Date; total: string }[] = await db.query(
    `WITH f AS (SELECT id, at, kind, result, phase, reason_code, config_version FROM tunnel_events WHERE ${where.join(' AND ')}),
          m AS (SELECT id, at, ${starts} AS starts FROM f WINDOW w AS (ORDER BY id)),
          g AS (SELECT id, at, sum(starts) OVER (ORDER BY id) AS grp FROM m)
     SELECT max(id) AS id, count(*)::int AS repeats, min(at) AS first_at, count(*) OVER () AS total
       FROM g GROUP BY grp ORDER BY max(id) DESC OFFSET $${params.length - 1} LIMIT $${params.length}`,
    params,
  );
  const rows = groups.length ? await db.getRepository(TunnelEvent).find({ where: { id: In(groups.map((g) => g.id)) } }) : [];
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  const items = groups.flatMap((g) => {
    const e = byId.get(String(g.id));
    if (!e) return [];
    return [
      {
        id: String(e.id),
        at: e.at,
        kind: e.kind,
        result: e.result,
        phase: e.phase,
        reasonCode: e.reasonCode,
        message: e.message,
        configVersion: e.configVersion,
        lines: e.lines,
        repeats: g.repeats,
        firstAt: g.first_at,
      },
    ];
  });
  // count(*) OVER () is per page row; an offset past the end has no row to carry it.
  const total = groups.length ? Number(groups[0].total) : offset > 0 ? await countGroups(db, where, params.slice(0, -2), starts) : 0;
  return { items, total, offset, limit };
}

async function countGroups(db: DataSource, where: string[], params: unknown[], starts: string): Promise<number> {
  const [row] = await db.query(
    `WITH f AS (SELECT id, kind, result, phase, reason_code, config_version FROM tunnel_events WHERE ${where.join(' AND ')})
     SELECT coalesce(sum(s), 0)::int AS n FROM (SELECT ${starts} AS s FROM f WINDOW w AS (ORDER BY id)) x`,
    params,
  );
  return row.n;
}
