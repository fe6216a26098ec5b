// The gateway-host worker's health, as a file the worker rewrites every lease tick (about every
// second) and `node dist/src/cli/worker-health.js` judges: the Helm chart's liveness probe, and
// what an operator reads on the host. A worker has no HTTP server; a file needs none, and a worker
// whose event loop is stuck stops rewriting it, which is exactly what liveness must catch.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WorkerHealth {
  hostId: string;
  pid: number;
  writtenAt: string; // ISO
  lease: { held: boolean; msLeft: number; fenced: boolean };
  /** Gateways this worker serves, and how many of their charons are running (supervised). */
  gateways: { served: number; charonsRunning: number };
  /**
   * The worker's own memory when written, in bytes: its resident set and V8's heap in use (live
   * objects and garbage not yet collected). Issue 20's limit is 300 MiB of RSS at 5,000 tunnels;
   * reported, not judged (a big worker is not a stuck one).
   */
  memory: { rssBytes: number; heapUsedBytes: number };
}

/** The figures of WorkerHealth.memory for this process. */
export function workerMemory(): WorkerHealth['memory'] {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

export const WORKER_HEALTH_FILE = 'worker-health.json';

export function workerHealthPath(gatewaysDir: string): string {
  return join(gatewaysDir, WORKER_HEALTH_FILE);
}

/**
 * Written whole or not at all (a reader never sees half a file). The first tick comes before any
 * gateway has made the gateways directory, so it is made here.
 */
export function writeWorkerHealth(path: string, health: WorkerHealth): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(health)}\n`);
  renameSync(tmp, path);
}

export interface HealthVerdict {
  ok: boolean;
  problems: string[];
}

/**
 * Healthy: rewritten within maxAgeMs (the process runs its timers). With requireLease, also holding
 * its lease (a fenced or lapsed host serves nothing: not ready). Charons are supervised and
 * restarted by the worker itself, so a stopped one is reported, not a reason to restart the worker.
 */
export function judgeWorkerHealth(h: WorkerHealth, nowMs: number, maxAgeMs: number, requireLease = false): HealthVerdict {
  const problems: string[] = [];
  const age = nowMs - Date.parse(h.writtenAt);
  if (!(age <= maxAgeMs)) problems.push(`health file not rewritten for ${Math.round(age / 1000)} s (limit ${maxAgeMs / 1000} s): the worker is stuck or gone`);
  if (requireLease && (!h.lease.held || h.lease.fenced))
    problems.push(h.lease.fenced ? 'fenced: the lease lapsed and another host renews, this host serves nothing' : 'the lease is not held');
  return { ok: problems.length === 0, problems };
}
