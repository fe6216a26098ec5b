import 'reflect-metadata';
import { ConfigError } from './config/config';
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
  console.error(err);
  process.exit(1);
});
