// Writes migrations/<timestamp>-<Name>.ts with what the entities need beyond the existing
// migrations, computed by TypeORM's schema builder against a scratch database.
import 'reflect-metadata';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';

export async function pendingSchemaSql(url: string): Promise<{ up: string[]; down: string[] }> {
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const log = await ds.driver.createSchemaBuilder().log();
    return { up: log.upQueries.map((q) => q.query), down: log.downQueries.map((q) => q.query).reverse() };
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: generate-migration <PascalCaseName>');
  const admin = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = `vpn_migration_scratch_${Date.now()}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${scratch}`);
  try {
    const url = admin.replace(/\/[^/]*$/, `/${scratch}`);
    const { up, down } = await pendingSchemaSql(url);
    if (!up.length) {
      console.log('entities and migrations agree: nothing to generate');
      return;
    }
    const stamp = Date.now();
    const cls = `${name}${stamp}`;
    const q = (sql: string) => `    await q.query(${JSON.stringify(sql)});`;
    const file = join(process.cwd(), 'migrations', `${stamp}-${name}.ts`);
    const body = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${cls} implements MigrationInterface {
  name = '${cls}';

  async up(q: QueryRunner): Promise<void> {
${up.map(q).join('\n')}
  }

  async down(q: QueryRunner): Promise<void> {
${down.map(q).join('\n')}
  }
}
`;
    writeFileSync(file, body);
    console.log(`wrote migrations/${stamp}-${name}.ts: add ${cls} to migrations/index.ts`);
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await client.end();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
