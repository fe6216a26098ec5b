// The whole product for the negotiation benchmark, like e2e/support/product.ts (which cannot be
// reused compiled: it finds dist/ relative to its own source directory): a private migrated
// database, the compiled API and worker as child processes, and a private lab (own prefix and
// state dir) with its inventory registered through the API.
import { API_NODE_FLAGS } from '../../src/config/api-node-flags';
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { Lab } from '../../lab/lab';
import { LabInventory } from '../../lab/lab-inventory';
import { removeNamespace } from '../../src/negotiation/host/gateway-namespace';
import { tailFile } from '../../src/negotiation/host/process-files';
import { runMigrations } from '../../src/database/data-source';
import { loadWorkerConfig } from '../../src/negotiation/worker-config';
import { databaseUrl, PG_ADMIN_URL } from '../../test/support/env';
import { freePort, ROOT } from './server';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/**
 * A private, freshly migrated database. Not a clone of the tests' template: rebuilding that one
 * (prepareTemplate drops it) would break a concurrent test run that is cloning it.
 */
export async function createBenchDatabase(prefix = 'vpn_bench_neg_'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = databaseUrl(name);
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await runMigrations(url);
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url, drop };
}

export interface BenchProductOptions {
  labPrefix: string;
  workerEnv?: Record<string, string>;
  /** Name prefix of the run's directory under the system temp dir (default 'vpn-bench-'). */
  dirPrefix?: string;
  /** Name prefix of the run's database (default 'vpn_bench_neg_'). */
  dbPrefix?: string;
}

export class BenchProduct {
  readonly dir: string;
  readonly adminKey = `admin-${randomBytes(16).toString('hex')}`;
  readonly tenantKey = `demo-${randomBytes(16).toString('hex')}`;
  readonly hostId = `bench-${randomBytes(3).toString('hex')}`;
  lab!: Lab;
  inventory!: LabInventory;
  baseUrl = '';
  dbUrl = '';
  private env: Record<string, string> = {};
  private api: ChildProcess | null = null;
  private worker: ChildProcess | null = null;
  private dropDb: (() => Promise<void>) | null = null;

  constructor(private readonly o: BenchProductOptions) {
    this.dir = mkdtempSync(join(tmpdir(), o.dirPrefix ?? 'vpn-bench-'));
  }

  get gatewaysDir(): string {
    return join(this.dir, 'gateways');
  }

  get workerPid(): number | null {
    return this.worker?.pid ?? null;
  }

  get apiPid(): number | null {
    return this.api?.pid ?? null;
  }

  /** The API's and worker's Redis (route change notifications, the host's job queue). */
  get redisUrl(): string {
    return this.env.REDIS_URL;
  }

  async start(): Promise<void> {
    if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
    const db = await createBenchDatabase(this.o.dbPrefix);
    this.dropDb = db.drop;
    this.dbUrl = db.url;
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379/12',
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ADMIN_API_KEY: this.adminKey,
      DEMO_API_KEY: this.tenantKey,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      HOST_ID: this.hostId,
      GATEWAYS_DIR: this.gatewaysDir,
      LAB_PREFIX: this.o.labPrefix,
      ...this.o.workerEnv,
    };
    this.api = this.spawnLogged('api', 'dist/src/main.js');
    await this.waitFor(async () => (await fetch(`${this.baseUrl}/healthz`).catch(() => null))?.ok === true, 30_000, 'API health');
    this.lab = new Lab({ prefix: this.o.labPrefix, stateDir: join(this.dir, 'lab'), api: { baseUrl: this.baseUrl, adminKey: this.adminKey } });
    this.inventory = (await this.lab.up()).inventory;
  }

  private spawnLogged(name: string, script: string): ChildProcess {
    const out = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const flags = script === 'dist/src/main.js' ? API_NODE_FLAGS : [];
    const child = spawn(process.execPath, [...flags, join(ROOT, script)], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    return child;
  }

  /** Spawns the worker; resolves once its heartbeat is in the database (it then reconciles). */
  async startWorker(): Promise<void> {
    const worker = this.spawnLogged('worker', 'dist/src/worker.js');
    this.worker = worker;
    await this.waitFor(async () => worker.exitCode === null && (await this.hostSeenWithin(10)), 30_000, 'worker heartbeat', 20);
  }

  /** The worker's tunables as it reads them from this environment (defaults filled in). */
  workerSettings(): Record<string, number> {
    const c = loadWorkerConfig(this.env);
    return {
      jobConcurrency: c.jobConcurrency, reconcileConcurrency: c.reconcileConcurrency, reconcileIntervalMs: c.reconcileIntervalMs,
      heartbeatIntervalMs: c.heartbeatIntervalMs, quickRetryMs: c.quickRetryMs, retryIntervalMs: c.retryIntervalMs,
      initiateTimeoutMs: c.initiateTimeoutMs, capacity: c.capacity,
    };
  }

  killWorker(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.worker?.kill(signal);
    this.worker = null;
  }

  /** Makes the API see this host as dead at once (instead of waiting out the 30 s liveness window). */
  async markHostStale(): Promise<void> {
    await this.sql(`UPDATE gateway_hosts SET last_seen_at = now() - interval '1 hour' WHERE id = $1`, [this.hostId]);
  }

  async sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: this.dbUrl });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  private async hostSeenWithin(seconds: number): Promise<boolean> {
    const rows = await this.sql(`SELECT 1 FROM gateway_hosts WHERE id = $1 AND last_seen_at > now() - make_interval(secs => $2)`, [this.hostId, seconds]);
    return rows.length === 1;
  }

  async request(method: string, path: string, body?: unknown, key = this.tenantKey): Promise<{ status: number; body: any; text: string }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text };
  }

  async ok(method: string, path: string, body?: unknown, key = this.tenantKey): Promise<any> {
    const r = await this.request(method, path, body, key);
    if (r.status !== 200 && r.status !== 201) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 250): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
      } catch (err) {
        lastError = err;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
  }

  logTail(name: 'api' | 'worker', lines = 30): string {
    return tailFile(join(this.dir, `${name}.log`), lines);
  }

  /** Removes everything, also after a failure; safe to call twice. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.killWorker('SIGTERM');
    if (worker) await waitExit(worker, 15_000);
    this.api?.kill('SIGTERM');
    if (this.api) await waitExit(this.api, 5000);
    this.api = null;
    // Gateways are namespaces named by id, not by lab prefix: remove the ones this run made.
    if (existsSync(this.gatewaysDir)) {
      for (const entry of readdirSync(this.gatewaysDir)) {
        if (/^vpngw-/.test(entry)) await removeNamespace(entry, { killProcesses: true }).catch(() => undefined);
      }
    }
    await this.lab?.down().catch((e) => log(`lab down: ${(e as Error).message}`));
    await this.dropDb?.().catch((e) => log(`drop database: ${(e as Error).message}`));
    this.dropDb = null;
    if (!process.env.KEEP_BENCH_DIR) rmSync(this.dir, { recursive: true, force: true });
    else log(`kept ${this.dir}`);
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
