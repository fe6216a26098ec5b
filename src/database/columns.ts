import { ColumnOptions, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

// Column shorthands: every column states its database type, so metadata never depends on
// TypeScript's reflected types (which are `Object` for `string | null`).
export const IdColumn = () => PrimaryColumn({ type: 'varchar', length: 32 });
export const RefColumn = (options: ColumnOptions = {}) => ({ type: 'varchar', length: 32, ...options }) as ColumnOptions;
export const CreatedAt = () => CreateDateColumn({ type: 'timestamptz' });
export const UpdatedAt = () => UpdateDateColumn({ type: 'timestamptz' });
