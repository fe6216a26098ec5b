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
