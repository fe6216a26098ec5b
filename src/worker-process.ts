// The gateway-host worker process: configuration, the secrets key check, the worker, its signals.
// Started by src/worker.ts (production: the drivers of src/) or lab/lab-worker.ts (which registers
// the lab's network driver first).
import 'reflect-metadata';
import { untilAvailable } from './common/dependency-wait';
import { createLogger } from './common/structured-log';
import { ConfigError } from './config/config';
import { assertSecretsKeyOpensStoredKeys, SecretsKeyMismatch } from './database/secrets-key-check';
import { HostWorker } from './negotiation/host-worker';
import { loadWorkerConfig } from './negotiation/worker-config';
import { assertNetworkDriverAvailable } from './negotiation/host/network-drivers';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
    assertNetworkDriverAvailable(config.networkDriver);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, context: 'worker' });
  // PostgreSQL away at start is waited for, not a reason to exit (a wrong key still is).
  await untilAvailable(
    'worker: PostgreSQL (secrets key check)',
    () => assertSecretsKeyOpensStoredKeys(config.databaseUrl, config.secretsKey),
    (m) => logger.warn(m),
  );
  const worker = new HostWorker(config, logger);
  const stop = async (signal: string) => {
    // The charons and their SAs stay up: the next worker (a restart, an upgrade) takes them over.
    logger.log(`${signal}: stopping (gateway charons keep running for the next worker)`);
    await worker.stop({ keepCharons: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await worker.start();
}

/** Runs the worker until a signal stops it; exits 2 on a configuration error, 1 on a failure. */
export function runWorkerProcess(): void {
  main().catch((err) => {
    if (err instanceof SecretsKeyMismatch) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
