import 'reflect-metadata';
import { ConfigError } from './config/config';
import { assertSecretsKeyOpensStoredKeys, SecretsKeyMismatch } from './database/secrets-key-check';
import { HostWorker } from './negotiation/host-worker';
import { loadWorkerConfig } from './negotiation/worker-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  await assertSecretsKeyOpensStoredKeys(config.databaseUrl, config.secretsKey);
  const worker = new HostWorker(config);
  await worker.start();
  const stop = async (signal: string) => {
    console.log(`[worker] ${signal}: stopping`);
    await worker.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  if (err instanceof SecretsKeyMismatch) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
