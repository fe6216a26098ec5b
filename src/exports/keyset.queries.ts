import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ResolvedListQuery } from '../common/list-query';

export const EXPORT_PAGE_SIZE = 1000;

/**
 * Every row of a list query, in the list's order (sort column, then id, both in the list's
 * direction), fetched a page at a time with keyset pagination: each page continues after the last
 * row of the previous one (`WHERE (sort, id) > (last sort, last id)`), so memory stays one page
 * whatever the list's size and no page re-reads the rows before it (OFFSET would).
 *
 * `build` returns a fresh query builder with the tenant scope and filters applied; the search is
 * applied here like `pageQuery` does (ILIKE over `searchColumns`), or by `build` itself with
 * `like: null`. The sort column must belong to the builder's main alias or be reachable from it.
 * The cursor value is read back as text, so timestamps keep their microseconds. NULLs follow
 * PostgreSQL's default order (last ascending, first descending), as in the list. With an index
 * on (scope, sort column), as vpn_tunnels has for created_at, every page is an index range scan
 * from the cursor; other sorts scan the scope's remaining rows per page.
 *
 * Pages are separate statements, not one snapshot: a row created or deleted during the export may
 * or may not appear; a row present throughout appears exactly once.
 */
export async function* keysetRows<T extends ObjectLiteral & { id: string }>(
  build: () => SelectQueryBuilder<T>,
  q: Pick<ResolvedListQuery, 'sortColumn' | 'order' | 'like'>,
  searchColumns: string[],
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<T> {
  yield* keysetPages(build, q, searchColumns, pageSize, async (qb) => {
    const { entities, raw } = await qb.getRawAndEntities();
    // With to-one joins only, raw rows and entities line up: the last raw row is the last entity.
    const last = raw[raw.length - 1] as Record<string, unknown> | undefined;
    return { rows: entities, cursor: last ? { value: (last.__cursor as string | null) ?? null, id: entities[entities.length - 1].id } : null };
  });
}

/**
 * The same as keysetRows, for a builder whose `select()` names exactly the columns the export
 * needs (`qb.select('t.name', 'name').addSelect(...)`): rows are plain objects from the driver,
 * skipping TypeORM's entity hydration, several times cheaper for wide rows with joins.
 * Each row also carries `__cursor` and `__id`.
 */
export async function* keysetRawRows<R extends object>(
  build: () => SelectQueryBuilder<ObjectLiteral>,
  q: Pick<ResolvedListQuery, 'sortColumn' | 'order' | 'like'>,
  searchColumns: string[],
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<R> {
  yield* keysetPages<ObjectLiteral, R>(build, q, searchColumns, pageSize, async (qb) => {
    const rows = await qb.addSelect(`${qb.alias}.id`, '__id').getRawMany<R & { __cursor: string | null; __id: string }>();
    const last = rows[rows.length - 1];
    return { rows: rows as R[], cursor: last ? { value: last.__cursor ?? null, id: last.__id } : null };
  });
}

type Cursor = { value: string | null; id: string };

async function* keysetPages<B extends ObjectLiteral, R>(
  build: () => SelectQueryBuilder<B>,
  q: Pick<ResolvedListQuery, 'sortColumn' | 'order' | 'like'>,
  searchColumns: string[],
  pageSize: number,
  fetch: (qb: SelectQueryBuilder<B>) => Promise<{ rows: R[]; cursor: Cursor | null }>,
): AsyncGenerator<R> {
  const col = q.sortColumn;
  // Two passes in the list's order: the rows with a sort value and the rows without (NULLs come
  // last ascending, first descending). Within a pass the "after the cursor" condition carries a
  // plain bound (col >= v), so an index on the sort column starts at the cursor: each page costs
  // the same however deep it is (an OR with the NULLs would make PostgreSQL scan from the start).
  const passes: ('values' | 'nulls')[] = q.order === 'ASC' ? ['values', 'nulls'] : ['nulls', 'values'];
  for (const pass of passes) {
    let cursor: Cursor | null = null;
    for (;;) {
      const qb = build();
      const id = `${qb.alias}.id`;
      if (q.like && searchColumns.length) {
        qb.andWhere(`(${searchColumns.map((c) => `${c} ILIKE :like`).join(' OR ')})`, { like: q.like });
      }
      qb.andWhere(`${col} IS ${pass === 'nulls' ? '' : 'NOT '}NULL`);
      if (cursor) qb.andWhere(after(pass, col, id, q.order), { __kv: cursor.value, __kid: cursor.id });
      qb.addSelect(`CAST(${col} AS text)`, '__cursor').orderBy(col, q.order).addOrderBy(id, q.order).limit(pageSize);
      const page = await fetch(qb);
      yield* page.rows;
      if (page.rows.length < pageSize || !page.cursor) break;
      cursor = page.cursor;
    }
  }
}

/** "After the cursor" in ORDER BY col, id (one direction), within one pass. */
function after(pass: 'values' | 'nulls', col: string, id: string, order: 'ASC' | 'DESC'): string {
  const [cmp, cmpOrEq] = order === 'ASC' ? ['>', '>='] : ['<', '<='];
  if (pass === 'nulls') return `${id} ${cmp} :__kid`;
  return `${col} ${cmpOrEq} :__kv AND (${col} ${cmp} :__kv OR ${id} ${cmp} :__kid)`;
}
