import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApiApp } from './api-app';
import { untilAvailable } from './common/dependency-wait';
import { ConfigError, loadConfig } from './config/config';
import { runMigrations } from './database/data-source';
import { assertSecretsKeyOpensStoredKeys, SecretsKeyMismatch } from './database/secrets-key-check';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // PostgreSQL away at start (a host reboot, a restart in any order): wait for it with back-off
  // instead of exiting; until then nothing listens, so readiness (/healthz) says not ready.
  const log = (m: string) => Logger.warn(m, 'Dependencies');
  const ran = await untilAvailable('API: PostgreSQL (migrations)', () => runMigrations(config.databaseUrl), log);
  if (ran.length) Logger.log(`applied migrations: ${ran.join(', ')}`, 'Migrations');
  await untilAvailable('API: PostgreSQL (secrets key check)', () => assertSecretsKeyOpensStoredKeys(config.databaseUrl, config.secretsKey), log);
  const app = await createApiApp(config);
  await app.listen(config.port, '0.0.0.0');
  Logger.log(`API listening on http://127.0.0.1:${config.port} (docs at /api/docs)`, 'Main');
}

main().catch((err) => {
  if (err instanceof SecretsKeyMismatch) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
