// The whole product as processes, shared by the end-to-end tests (e2e/support/product.ts) and the
// benchmarks (bench/support/bench-product.ts): a private database, the compiled API and worker as
// child processes (so callers can kill them), and a private lab (own namespace prefix and state
// dir) with its inventory registered through the API. stop() removes everything, also after a
// failure. Runs from the sources (jest) and compiled (dist/, the benchmarks) alike.
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { Client } from 'pg';
import { Lab } from '../../lab/lab';
import { LabInventory } from '../../lab/lab-inventory';
import { LabHosts, LabHostState } from '../../lab/lab-hosts';
import { API_NODE_FLAGS } from '../../src/config/api-node-flags';
import { repositoryRoot } from '../../src/config/config';
import { listNamespaces, removeNamespace } from '../../src/negotiation/host/gateway-namespace';
import { tailFile } from '../../src/negotiation/host/process-files';
import { gatewayNamespace, hostTag } from '../../src/negotiation/host/gateway-names';

/** The repository root, whether this runs from its sources (jest) or compiled (dist/, the benches). */
export const REPO_ROOT = repositoryRoot(__dirname) ?? process.cwd();
/** The worker the lab, the end-to-end tests and the benches run: the production worker plus the lab's network driver. */
export const LAB_WORKER = 'dist/lab/lab-worker.js';

export interface ProductProcessOptions {
  labPrefix: string;
  /** Extra settings for the API and the worker (they read the same environment). */
  workerEnv?: Record<string, string>;
  /** Name prefix of the run's directory under the system temp dir. */
  dirPrefix: string;
  hostIdPrefix: string;
  /** A Redis database of its own, so tests and benchmarks never see each other's queues. */
  redisDb: number;
  /** Another Redis altogether (a test that kills its own Redis); default the shared one, `redisDb`. */
  redisUrl?: string;
  /** The environment variable that keeps the run's directory (logs) after stop(). */
  keepDirVariable: string;
  createDatabase(): Promise<{ url: string; drop: () => Promise<void> }>;
  /**
   * How long stop() lets the worker stop its charons (SIGTERM: they tell their peers) before it is
   * killed; the namespaces and whatever still runs in them go next either way. Default 15 s.
   */
  workerStopGraceMs?: number;
}

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export class ProductProcesses {
  readonly dir: string;
  readonly adminKey = `admin-${randomBytes(16).toString('hex')}`;
  readonly tenantKey = `demo-${randomBytes(16).toString('hex')}`;
  readonly hostId: string;
  lab!: Lab;
  inventory!: LabInventory;
  baseUrl = '';
  dbUrl = '';
  protected env: Record<string, string> = {};
  private api: ChildProcess | null = null;
  private worker: ChildProcess | null = null;
  private dropDb: (() => Promise<void>) | null = null;
  /** The gateway directories of further hosts (workers) a test started; stop() cleans up theirs too. */
  protected readonly extraGatewayDirs: string[] = [];
  private readonly extraHosts: string[] = [];
  private hostsControl: LabHosts | null = null;

  constructor(protected readonly o: ProductProcessOptions) {
    this.dir = mkdtempSync(join(tmpdir(), o.dirPrefix));
    this.hostId = `${o.hostIdPrefix}${randomBytes(3).toString('hex')}`;
  }

  get gatewaysDir(): string {
    return join(this.dir, 'gateways');
  }

  /** The namespace of a gateway's copy on this product's (first) worker. */
  gatewayNamespace(gatewayId: string): string {
    return gatewayNamespace(gatewayId, hostTag(this.hostId));
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

  /** Database, API and lab; the worker is the caller's to start (a benchmark times its cold start). */
  async startWithoutWorker(): Promise<void> {
    if (!existsSync(join(REPO_ROOT, 'dist/src/main.js')))
      throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first (the test command builds it)');
    const db = await this.o.createDatabase();
    this.dropDb = db.drop;
    this.dbUrl = db.url;
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      DATABASE_URL: db.url,
      REDIS_URL: this.o.redisUrl ?? `redis://127.0.0.1:6379/${this.o.redisDb}`,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ADMIN_API_KEY: this.adminKey,
      DEMO_API_KEY: this.tenantKey,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // The tests' webhook receivers listen on this machine (127.0.0.1): the operator's opt-in.
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // Every e2e file calls from 127.0.0.1 on a shared Redis, some with wrong keys on purpose: the
      // throttles are the API tier's to test (test/api/throttling.test.ts), not the lab's.
      AUTH_FAILURE_LIMIT: '1000000',
      TENANT_RATE_LIMIT_PER_MINUTE: '100000000',
      HOST_ID: this.hostId,
      GATEWAYS_DIR: this.gatewaysDir,
      LAB_PREFIX: this.o.labPrefix,
      RECONCILE_INTERVAL_MS: '5000',
      HOST_LEASE_RENEW_MS: '1000',
      ...this.o.workerEnv,
    };
    await this.startApi();
    this.lab = new Lab({ prefix: this.o.labPrefix, stateDir: join(this.dir, 'lab'), api: { baseUrl: this.baseUrl, adminKey: this.adminKey } });
    this.inventory = (await this.lab.up()).inventory;
  }

  private spawnLogged(name: string, script: string): ChildProcess {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const flags = script === 'dist/src/main.js' ? [...API_NODE_FLAGS, ...apiProfileFlags()] : [];
    // The API logs warnings and up (Nest's route lines are noise here); the worker's operational
    // lines are what the tests read (LOG_LEVEL applies to both since the structured logger).
    const env = name === 'worker' ? { ...this.env, LOG_LEVEL: this.o.workerEnv?.LOG_LEVEL ?? 'log' } : this.env;
    const child = spawn(process.execPath, [...flags, join(REPO_ROOT, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return child;
  }

  /** Spawns the API; with `wait` (default) resolves once /healthz says ready. */
  async startApi(opts: { wait?: boolean } = {}): Promise<void> {
    this.api = this.spawnLogged('api', 'dist/src/main.js');
    if (opts.wait === false) return;
    await this.waitFor(async () => (await fetch(`${this.baseUrl}/healthz`).catch(() => null))?.ok === true, 30_000, 'API health');
  }

  /**
   * Spawns the worker; with `wait` (default) resolves once its heartbeat is in the database
   * (gateways are then placed on it).
   */
  async startWorker(opts: { wait?: boolean } = {}): Promise<void> {
    const worker = this.spawnLogged('worker', LAB_WORKER);
    this.worker = worker;
    if (opts.wait === false) return;
    await this.waitFor(async () => worker.exitCode === null && (await this.hostSeenWithin(10)), 30_000, 'worker heartbeat', 20);
  }

  /** Further gateway hosts on this machine (lab/lab-hosts.ts), with this product's settings. */
  labHosts(): LabHosts {
    this.hostsControl ??= new LabHosts({
      dir: join(this.dir, 'hosts'),
      prefix: this.o.labPrefix,
      workerScript: join(REPO_ROOT, LAB_WORKER),
      baseEnv: this.env,
    });
    return this.hostsControl;
  }

  /** Starts another gateway host (worker) `id`; resolves once it holds its lease. stop() kills it. */
  async addHost(id: string, env: Record<string, string> = {}): Promise<LabHostState> {
    const h = this.labHosts().add(id, env);
    if (!this.extraHosts.includes(id)) {
      this.extraHosts.push(id);
      this.extraGatewayDirs.push(h.gatewaysDir);
    }
    await this.waitFor(
      async () => (await this.sql('SELECT 1 FROM gateway_hosts WHERE id = $1 AND lease_expires_at > now()', [id])).length === 1,
      30_000,
      `host ${id} to hold its lease`,
      100,
    );
    return h;
  }

  /** Whether the API or the worker process is running (it did not exit). */
  isRunning(name: 'api' | 'worker'): boolean {
    const child = name === 'api' ? this.api : this.worker;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  killWorker(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.worker?.kill(signal);
    this.worker = null;
  }

  /** SIGTERM, as an operator stops it; SIGKILL after `graceMs`. Says whether it left by itself. */
  async stopApi(graceMs = 5000): Promise<{ exitedByItself: boolean; ms: number }> {
    const api = this.api;
    if (!api) return { exitedByItself: true, ms: 0 };
    const started = Date.now();
    this.killApi('SIGTERM');
    const exitedByItself = await waitExit(api, graceMs);
    return { exitedByItself, ms: Date.now() - started };
  }

  killApi(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.api?.kill(signal);
    this.api = null;
  }

  /** A query on the product's database (stored rows, samples, events). */
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

  async request(method: string, path: string, body?: unknown, key = this.tenantKey): Promise<ApiResponse> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text };
  }

  /** The body of a 200/201 answer (its text when it is not JSON); anything else throws with the answer. */
  async ok(method: string, path: string, body?: unknown, key = this.tenantKey): Promise<any> {
    const r = await this.request(method, path, body, key);
    if (r.status !== 200 && r.status !== 201) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body ?? r.text;
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

  /** The last lines of the API's or the worker's log ('' before it has one). */
  logTail(name: 'api' | 'worker', lines = 30): string {
    return tailFile(join(this.dir, `${name}.log`), lines);
  }

  /** Removes everything, also after a failure; safe to call twice. */
  async stop(): Promise<void> {
    for (const id of this.extraHosts)
      await this.labHosts()
        .kill(id)
        .catch((e) => process.stderr.write(`host ${id}: ${(e as Error).message}\n`));
    const worker = this.worker;
    this.killWorker('SIGTERM');
    if (worker) await waitExit(worker, this.o.workerStopGraceMs ?? 15_000);
    const api = this.api;
    this.killApi('SIGTERM');
    if (api) await waitExit(api, 5000);
    // Gateways are namespaces named by id and host (`<id>.<host tag>`), not by lab prefix: remove
    // every copy of the gateways this run made, whichever host (worker) made it.
    const gatewayIds = new Set<string>();
    for (const dir of [this.gatewaysDir, ...this.extraGatewayDirs]) {
      if (existsSync(dir)) for (const entry of readdirSync(dir)) if (/^vpngw-/.test(entry)) gatewayIds.add(entry);
    }
    for (const ns of await listNamespaces().catch(() => [] as string[])) {
      if (gatewayIds.has(ns.split('.')[0])) await removeNamespace(ns, { killProcesses: true }).catch(() => undefined);
    }
    await this.lab?.down().catch((e) => process.stderr.write(`lab down: ${(e as Error).message}\n`));
    await this.dropDb?.().catch((e) => process.stderr.write(`drop database: ${(e as Error).message}\n`));
    this.dropDb = null;
    if (!process.env[this.o.keepDirVariable]) rmSync(this.dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${this.dir}\n`);
  }
}

/**
 * BENCH_API_CPU_PROF=<dir>: the API runs with V8's CPU profiler and writes a .cpuprofile into that
 * directory when it stops (open it in Chrome's DevTools or speedscope). A bench switch: the
 * profiler costs CPU itself, so figures of such a run are not comparable.
 */
export function apiProfileFlags(): string[] {
  const dir = process.env.BENCH_API_CPU_PROF;
  if (!dir) return [];
  const preload = join(REPO_ROOT, 'dist/bench/support/cpu-prof-exit.js');
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`, '--require', preload];
}

/** Waits for the child to exit; kills it after `timeoutMs`. True when it exited by itself. */
function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
