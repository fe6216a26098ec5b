import { DataSource, EntityManager } from 'typeorm';

/**
 * What a query module runs on: a transaction's EntityManager, or the DataSource's own manager
 * (each statement on its own). Query modules take either, so a service hands them its DataSource
 * or, inside `transaction`, the transaction's manager.
 */
export function managerOf(db: DataSource | EntityManager): EntityManager {
  return db instanceof EntityManager ? db : db.manager;
}

/** The rows of an `UPDATE ... RETURNING`: TypeORM's postgres driver answers [rows, count] for an UPDATE, rows otherwise. */
export function returnedRows<T>(rows: T[]): T[] {
  return Array.isArray(rows[0]) ? (rows[0] as unknown as T[]) : rows;
}
