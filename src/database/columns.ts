import { ColumnOptions, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

// Column shorthands: every column states its database type, so metadata never depends on
// TypeScript's reflected types (which are `Object` for `string | null`).
export const IdColumn = () => PrimaryColumn({ type: 'varchar', length: 32 });
export const RefColumn = (options: ColumnOptions = {}) => ({ type: 'varchar', length: 32, ...options }) as ColumnOptions;
export const CreatedAt = () => CreateDateColumn({ type: 'timestamptz' });
export const UpdatedAt = () => UpdateDateColumn({ type: 'timestamptz' });

// Money is an integer number of minor units (fen, cents) with its ISO 4217 currency, stored as
// bigint: never a float. pg returns bigint as a string; the transformer makes it a JS number
// (exact up to 2^53 minor units, far beyond any balance this product holds).
export const MONEY = { type: 'bigint' as const, transformer: { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) } };
