// `npm run migrate`: applies the pending migrations (the Helm chart's pre-install/pre-upgrade Job
// runs this). Safe next to starting APIs: every run takes the same advisory lock.
import 'reflect-metadata';
import { runMigrations } from '../database/data-source';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('invalid configuration:\n  - DATABASE_URL is required');
    process.exit(2);
  }
  const ran = await runMigrations(url);
  console.log(JSON.stringify({ level: 'log', context: 'Migrations', message: ran.length ? `applied migrations: ${ran.join(', ')}` : 'no pending migrations', applied: ran }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
