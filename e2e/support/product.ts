// The whole product for an end-to-end test: a private database, the real API and worker as child
// processes (so tests can kill them), and a private lab (own namespace prefix and state dir) with
// its inventory registered through the API. stop() removes everything, also after a failure.
import { API_NODE_FLAGS } from '../../src/config/api-node-flags';
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Lab } from '../../lab/lab';
import { LabInventory } from '../../lab/lab-inventory';
import { createTestDatabase } from '../../test/support/database';
import { ExecError, ExecResult, run } from '../../src/negotiation/host/exec';

/** Runs argv; with check=false a non-zero exit returns its output instead of throwing. */
async function execArgv(argv: string[], check: boolean): Promise<ExecResult> {
  try {
    return await run(argv[0], argv.slice(1), { timeoutMs: 30_000 });
  } catch (err) {
    if (!check && err instanceof ExecError && !err.timedOut) return { stdout: err.stdout, stderr: err.stderr };
    throw err;
  }
}

const ROOT = join(__dirname, '..', '..');

export interface ProductOptions {
  labPrefix: string;
  workerEnv?: Record<string, string>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export class Product {
  readonly dir = mkdtempSync(join(tmpdir(), 'vpn-e2e-'));
  readonly adminKey = `admin-${randomBytes(16).toString('hex')}`;
  readonly tenantKey = `demo-${randomBytes(16).toString('hex')}`;
  readonly hostId = `e2e-${randomBytes(3).toString('hex')}`;
  lab!: Lab;
  inventory!: LabInventory;
  baseUrl = '';
  private env: Record<string, string> = {};
  private api: ChildProcess | null = null;
  private worker: ChildProcess | null = null;
  private dropDb: (() => Promise<void>) | null = null;

  constructor(private readonly o: ProductOptions) {}

  async start(): Promise<void> {
    if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (the test command does)');
    const db = await createTestDatabase();
    this.dropDb = db.drop;
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379/13',
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ADMIN_API_KEY: this.adminKey,
      DEMO_API_KEY: this.tenantKey,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      HOST_ID: this.hostId,
      GATEWAYS_DIR: join(this.dir, 'gateways'),
      LAB_PREFIX: this.o.labPrefix,
      RECONCILE_INTERVAL_MS: '5000',
      HEARTBEAT_INTERVAL_MS: '1000',
      ...this.o.workerEnv,
    };
    await this.startApi();
    this.lab = new Lab({ prefix: this.o.labPrefix, stateDir: join(this.dir, 'lab'), api: { baseUrl: this.baseUrl, adminKey: this.adminKey } });
    this.inventory = (await this.lab.up()).inventory;
    await this.startWorker();
  }

  private spawnLogged(name: string, script: string): ChildProcess {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    const flags = script === 'dist/src/main.js' ? API_NODE_FLAGS : [];
    const child = spawn(process.execPath, [...flags, join(ROOT, script)], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return child;
  }

  async startApi(): Promise<void> {
    this.api = this.spawnLogged('api', 'dist/src/main.js');
    await this.waitFor(async () => (await fetch(`${this.baseUrl}/healthz`).catch(() => null))?.ok === true, 30_000, 'API health');
  }

  async startWorker(): Promise<void> {
    this.worker = this.spawnLogged('worker', 'dist/src/worker.js');
    // Ready when its heartbeat is in the database (gateways are then placed on it).
    await this.waitFor(async () => this.worker!.exitCode === null && (await this.hostIsLive()), 30_000, 'worker heartbeat');
  }

  killWorker(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.worker?.kill(signal);
    this.worker = null;
  }

  killApi(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.api?.kill(signal);
    this.api = null;
  }

  private async hostIsLive(): Promise<boolean> {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: this.env.DATABASE_URL });
    await c.connect();
    try {
      const r = await c.query("SELECT 1 FROM gateway_hosts WHERE id = $1 AND last_seen_at > now() - interval '10 seconds'", [this.hostId]);
      return r.rowCount === 1;
    } finally {
      await c.end();
    }
  }

  /** A query on the product's database (tests that look at stored rows, e.g. monitoring samples). */
  async sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: this.env.DATABASE_URL });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
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

  async ok(method: string, path: string, body?: unknown, expected = [200, 201]): Promise<any> {
    const r = await this.request(method, path, body);
    if (!expected.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
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

  /** Polls the tunnel until its connection state is one of `states`; returns the tunnel. */
  async waitForTunnel(id: string, states: string[], timeoutMs = 60_000): Promise<any> {
    let tunnel: any;
    try {
      await this.waitFor(async () => {
        tunnel = await this.ok('GET', `/api/v1/vpn-tunnels/${id}`);
        return states.includes(tunnel.connectionState);
      }, timeoutMs, `tunnel ${id} to be ${states.join('/')}`);
    } catch (err) {
      const log = await this.request('GET', `/api/v1/vpn-tunnels/${id}/logs?limit=3`).catch(() => null);
      const lines = (log?.body?.items ?? []).map((e: any) => `${e.kind} ${e.result} ${e.reasonCode}\n    ${e.lines.join('\n    ')}`).join('\n  ');
      throw new Error(`${(err as Error).message}; last: ${tunnel?.connectionState} ${JSON.stringify(tunnel?.failure)}\n  ${lines}`);
    }
    return tunnel;
  }

  async waitForGateway(id: string, state = 'running', timeoutMs = 60_000): Promise<any> {
    let gw: any;
    await this.waitFor(async () => {
      gw = await this.ok('GET', `/api/v1/vpn-gateways/${id}`);
      return gw.resourceState === state;
    }, timeoutMs, `gateway ${id} to be ${state} (last: ${gw?.resourceState} ${gw?.stateReason})`);
    return gw;
  }

  vmExec(instance: string, cmd: string[], options: { check?: boolean } = {}) {
    const argv = this.lab.vmExecArgv(instance, cmd);
    return execArgv(argv, options.check ?? true);
  }

  siteExec(site: string, cmd: string[], options: { router?: boolean; check?: boolean } = {}) {
    const argv = this.lab.siteExecArgv(site, cmd, { router: options.router });
    return execArgv(argv, options.check ?? true);
  }

  /** A ping of `count` packets; true when all came back. */
  async vmPings(instance: string, target: string, count = 2): Promise<boolean> {
    const r = await this.vmExec(instance, ['ping', '-c', String(count), '-W', '2', '-i', '0.3', target], { check: false });
    return new RegExp(`${count} received`).test(r.stdout);
  }

  /** Routes are pushed by the instances' agents: wait until the ping goes through. */
  async waitForPing(instance: string, target: string, timeoutMs = 20_000): Promise<boolean> {
    try {
      await this.waitFor(() => this.vmPings(instance, target, 1), timeoutMs, `${instance} to reach ${target}`, 200);
      return this.vmPings(instance, target, 2);
    } catch {
      return false;
    }
  }

  /** The routes the instance's agent installed (its routing protocol 201). */
  async agentRoutes(instance: string): Promise<string[]> {
    const r = await this.vmExec(instance, ['ip', '-o', 'route', 'show', 'proto', '201']);
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ').slice(0, 3).join(' ')).sort();
  }

  viciSocket(gatewayId: string): string {
    return join(this.dir, 'gateways', gatewayId, 'charon.vici');
  }

  /** A gateway with the lab's first free external IP, in the given VPC/subnet; waits until running. */
  async createGateway(name: string, vpcIndex = 0, subnetIndex = 0): Promise<any> {
    const vpc = this.inventory.vpcs[vpcIndex];
    const eips = await this.ok('GET', '/api/v1/external-ips?limit=100&sort=address&order=asc');
    const eip = eips.items.find((e: any) => !e.boundTo);
    const gw = await this.ok('POST', '/api/v1/vpn-gateways', {
      name, machineTypeId: this.inventory.machineType.id, vpcId: vpc.id, subnetId: vpc.subnets[subnetIndex].id, externalIpId: eip.id, chargeType: 'hourly',
    });
    return this.waitForGateway(gw.id);
  }

  /** A remote site configured from the tunnel's downloaded remote-side file, optionally edited. */
  async addSiteFromDownload(tunnelId: string, site: { name: string; publicIp: string; subnet: string }, edit?: (b: { conf: string; secrets: string }) => { conf: string; secrets: string }) {
    const download = await this.request('GET', `/api/v1/vpn-tunnels/${tunnelId}/config?side=remote`);
    if (download.status !== 200) throw new Error(`config download: ${download.status} ${download.text}`);
    let bundle = splitConfigBundle(download.text);
    if (edit) bundle = edit(bundle);
    const confFile = join(this.dir, `${site.name}.conf`);
    const secretsFile = join(this.dir, `${site.name}.secrets`);
    writeFileSync(confFile, bundle.conf);
    writeFileSync(secretsFile, bundle.secrets, { mode: 0o600 });
    await this.lab.addSite({ ...site, confFile, secretsFile });
    return { confFile, secretsFile, ...bundle };
  }

  logs(name: 'api' | 'worker'): string {
    try {
      return require('fs').readFileSync(join(this.dir, `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    this.killWorker('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    this.killApi('SIGTERM');
    // Gateways are namespaces named by id, not by lab prefix: remove the ones this run made.
    await removeGatewayNamespacesUnder(join(this.dir, 'gateways'));
    await this.lab?.down().catch(() => undefined);
    await this.dropDb?.().catch(() => undefined);
    if (!process.env.KEEP_E2E_DIR) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function removeGatewayNamespacesUnder(dir: string): Promise<void> {
  const { readdirSync } = await import('fs');
  const { removeNamespace } = await import('../../src/negotiation/host/gateway-namespace');
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (/^vpngw-/.test(entry)) await removeNamespace(entry, { killProcesses: true }).catch(() => undefined);
  }
}

/** The downloaded bundle holds the ipsec.conf and, commented, the ipsec.secrets line. */
export function splitConfigBundle(text: string): { conf: string; secrets: string } {
  const marker = text.indexOf('# ipsec.secrets:');
  const secretLine = text.slice(marker).split('\n').find((l) => /^# \S+ \S+ : PSK /.test(l));
  if (marker < 0 || !secretLine) throw new Error('no ipsec.secrets line in the downloaded configuration');
  return { conf: text, secrets: `${secretLine.slice(2)}\n` };
}
