import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailed } from './errors';
import { Optional } from '../common/validators';

/** Deeper pages than this are refused (400 naming the range): PostgreSQL's OFFSET is a bigint, and a page that deep is never what a person wants. */
export const MAX_OFFSET = 1_000_000;

/** Query of every list endpoint: paging, sorting and a fuzzy search. */
export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 }) @Optional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_OFFSET) offset?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 20 }) @Optional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @ApiPropertyOptional({ description: 'Field to sort by (each endpoint lists its fields)', example: 'createdAt' }) @Optional() @IsString() sort?: string;
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' }) @Optional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ description: 'Fuzzy search over name, ID and IP addresses', maxLength: 100 }) @Optional() @IsString() @MaxLength(100) q?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

export interface ResolvedListQuery {
  offset: number;
  limit: number;
  sortColumn: string;
  order: 'ASC' | 'DESC';
  like: string | null;
}

/** Maps the public sort names to SQL columns, refusing anything else (no injection through sort). */
export function resolveListQuery(query: ListQueryDto, sortable: Record<string, string>, defaultSort = 'createdAt'): ResolvedListQuery {
  const sort = query.sort ?? defaultSort;
  // Own keys only: `constructor`, `toString`, `__proto__` would otherwise resolve through Object.prototype.
  const sortColumn = Object.prototype.hasOwnProperty.call(sortable, sort) ? sortable[sort] : undefined;
  if (!sortColumn) {
    throw new ValidationFailed([{ field: 'sort', rule: 'one_of', value: sort, message: `sort must be one of ${Object.keys(sortable).join(', ')}` }]);
  }
  const q = query.q?.trim();
  return {
    offset: query.offset ?? 0,
    limit: query.limit ?? 20,
    sortColumn,
    order: query.order === 'asc' ? 'ASC' : 'DESC',
    like: q ? `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null,
  };
}
