import { DataSource, EntityManager } from 'typeorm';

/**
 * What a query module runs on: a transaction's EntityManager, or the DataSource's own manager
 * (each statement on its own). Query modules take either, so a service hands them its DataSource
 * or, inside `transaction`, the transaction's manager.
 */
export function managerOf(db: DataSource | EntityManager): EntityManager {
  return db instanceof EntityManager ? db : db.manager;
}
