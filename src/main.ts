import 'reflect-metadata';
import { createApiApp } from './api-app';
import { NestStructuredLogger } from './common/nest-log';
import { createLogger } from './common/structured-log';
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
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const log = (m: string) => logger.child('Dependencies').warn(m);
  // Under a PostgreSQL advisory lock: replicas starting together (and the Helm hook Job) take turns.
  const ran = await untilAvailable('API: PostgreSQL (migrations)', () => runMigrations(config.databaseUrl), log);
  if (ran.length) logger.child('Migrations').log(`applied migrations: ${ran.join(', ')}`, { migrations: ran });
  await untilAvailable('API: PostgreSQL (secrets key check)', () => assertSecretsKeyOpensStoredKeys(config.databaseUrl, config.secretsKey), log);
  // SIGTERM/SIGINT (enableShutdownHooks): stop accepting, close long polls and connections, exit.
  const app = await createApiApp(config, { logger: new NestStructuredLogger(logger) });
  await app.listen(config.port, '0.0.0.0');
  logger.child('Main').log(`API listening on http://127.0.0.1:${config.port} (docs at /api/docs)`, { port: config.port });
}

main().catch((err) => {
  if (err instanceof SecretsKeyMismatch) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
