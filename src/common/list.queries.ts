import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Page, ResolvedListQuery } from './list-query';

/** Applies search (ILIKE over the given SQL expressions), sort and paging, then counts. */
export async function pageQuery<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, q: ResolvedListQuery, searchColumns: string[]): Promise<Page<T>> {
  if (q.like && searchColumns.length) {
    qb.andWhere(`(${searchColumns.map((c) => `${c} ILIKE :like`).join(' OR ')})`, { like: q.like });
  }
  const [items, total] = await qb.orderBy(q.sortColumn, q.order).addOrderBy(`${qb.alias}.id`, q.order).offset(q.offset).limit(q.limit).getManyAndCount();
  return { items, total, offset: q.offset, limit: q.limit };
}

/**
 * Paging in two steps, for lists whose filters, search and sort all live on the main table: the
 * page's ids (and the total) come from `scope`, a builder without joins, then `load` reads those
 * rows with whatever joins the view needs. PostgreSQL then sorts narrow rows, not joined ones.
 */
export async function pageByIds<T extends ObjectLiteral & { id: string }>(
  scope: SelectQueryBuilder<T>,
  q: ResolvedListQuery,
  load: (ids: string[]) => Promise<T[]>,
): Promise<Page<T>> {
  const id = `${scope.alias}.id`;
  const [rows, total] = await Promise.all([
    scope.clone().select(id, 'id').orderBy(q.sortColumn, q.order).addOrderBy(id, q.order).offset(q.offset).limit(q.limit).getRawMany<{ id: string }>(),
    scope.clone().getCount(),
  ]);
  const ids = rows.map((r) => r.id);
  const byId = new Map((ids.length ? await load(ids) : []).map((row) => [row.id, row]));
  // A row deleted between the two reads is simply absent from the page.
  const items = ids.map((i) => byId.get(i)).filter((row): row is T => row !== undefined);
  return { items, total, offset: q.offset, limit: q.limit };
}
