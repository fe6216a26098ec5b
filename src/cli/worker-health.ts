// `node dist/src/cli/worker-health.js [--file F] [--max-age-ms N] [--require-lease]`: judges the
// gateway-host worker's health file (src/negotiation/worker-health.ts). Prints the file and the
// verdict as JSON; exit 0 healthy, 1 unhealthy, 2 usage. The Helm chart's worker liveness probe.
import { readFileSync } from 'node:fs';
import { judgeWorkerHealth, WorkerHealth, workerHealthPath } from '../negotiation/worker-health';

function main(argv: string[]): number {
  let file = process.env.WORKER_HEALTH_FILE ?? workerHealthPath(process.env.GATEWAYS_DIR ?? '/var/lib/vpn-console/gateways');
  let maxAgeMs = 15_000;
  let requireLease = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--file') file = argv[++i];
    else if (a === '--max-age-ms') maxAgeMs = Number(argv[++i]);
    else if (a === '--require-lease') requireLease = true;
    else {
      process.stderr.write(`unknown argument ${a}\nusage: worker-health [--file F] [--max-age-ms N] [--require-lease]\n`);
      return 2;
    }
  }
  if (!file || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    process.stderr.write('usage: worker-health [--file F] [--max-age-ms N] [--require-lease]\n');
    return 2;
  }
  let health: WorkerHealth;
  try {
    health = JSON.parse(readFileSync(file, 'utf8')) as WorkerHealth;
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, problems: [`cannot read ${file}: ${(e as Error).message}`] })}\n`);
    return 1;
  }
  const verdict = judgeWorkerHealth(health, Date.now(), maxAgeMs, requireLease);
  process.stdout.write(`${JSON.stringify({ ...verdict, health })}\n`);
  return verdict.ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
