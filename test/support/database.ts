import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/data-source';
import { databaseUrl, PG_ADMIN_URL, TEMPLATE_DB } from './env';

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Once per run: a migrated template database that every test file clones (fast, isolated). */
export async function prepareTemplate(): Promise<void> {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  });
  await runMigrations(databaseUrl(TEMPLATE_DB));
  // Tests run the billing sweep themselves (POST /api/v1/billing/sweep) after moving expiry times:
  // a timer sweeping in the background would race them.
  const c = new Client({ connectionString: databaseUrl(TEMPLATE_DB) });
  await c.connect();
  try {
    await c.query('UPDATE billing_settings SET sweep_interval_seconds = 0');
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `vpn_test_${randomBytes(5).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** An empty database (no migrations), for the migration/entity agreement test. */
export async function createEmptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `vpn_test_empty_${randomBytes(5).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  return { url: databaseUrl(name), drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}
