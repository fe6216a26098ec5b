import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

export function dataSourceOptions(url: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    // A bounded connect: with PostgreSQL away a request fails in seconds (503) instead of waiting.
    extra: { max: 20, connectionTimeoutMillis: 5000 },
    ...extra,
  } as DataSourceOptions;
}

/**
 * The advisory lock key every migration run takes (any fixed bigint; this one is "vpnmigr" in ASCII).
 * Several API replicas starting together, the Helm hook Job and `npm run migrate` all take it, so
 * exactly one of them applies the pending migrations and the others wait, then find none pending.
 */
export const MIGRATION_LOCK_KEY = '33337666836195186';

/** Applies the pending migrations under a PostgreSQL session advisory lock; returns their names. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  // The lock is held by one dedicated connection for the whole run; the migrations use others.
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`);
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`);
    }
  } finally {
    await lock.release();
    await ds.destroy();
  }
}
