// `npm run migrate`: applies the pending migrations (the Helm chart's pre-install/pre-upgrade Job
// runs this). Safe next to starting APIs: every run takes the same advisory lock.
import 'reflect-metadata';
import { createLogger, readLogSettings } from '../common/structured-log';
import { runMigrations } from '../database/data-source';

async function main(): Promise<void> {
  const problems: string[] = [];
  const url = process.env.DATABASE_URL;
  if (!url) problems.push('DATABASE_URL is required');
  const { logLevel, logFormat } = readLogSettings(process.env, problems);
  if (problems.length) {
    console.error(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    process.exit(2);
  }
  const logger = createLogger({ level: logLevel, format: logFormat, context: 'Migrations' });
  const ran = await runMigrations(url!);
  logger.log(ran.length ? `applied migrations: ${ran.join(', ')}` : 'no pending migrations', { migrations: ran });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
