// The whole product for an end-to-end test (test/support/product-processes.ts: a database cloned
// from the tests' template, the API, the worker, a private lab) and what the tests do with it:
// gateways, tunnels, remote sites from downloaded configs, pings from lab instances.
import { ChildProcess, spawn } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { createTestDatabase } from '../../test/support/database';
import { ProductProcesses } from '../../test/support/product-processes';
import { splitConfigBundle } from '../../lab/config-bundle';

export { splitConfigBundle };
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

export interface ProductOptions {
  labPrefix: string;
  workerEnv?: Record<string, string>;
  /** A database of the test's own (default: a clone of the tests' template on the shared server). */
  createDatabase?: () => Promise<{ url: string; drop: () => Promise<void> }>;
  /** A Redis of the test's own (default: the shared one, database 13). */
  redisUrl?: string;
}

export interface PingResult {
  sent: number;
  received: number;
  /** When a reply was missing (ping's "no answer yet"), ISO time and sequence number. */
  lostAt: string[];
  /** ping's exit code and what it said on stderr: why it sent nothing, when it did not. */
  exitCode: number | null;
  stderr: string;
}

export class Product extends ProductProcesses {
  private readonly pings: ChildProcess[] = [];

  constructor(o: ProductOptions) {
    super({
      ...o,
      dirPrefix: 'vpn-e2e-',
      hostIdPrefix: 'e2e-',
      redisDb: 13,
      keepDirVariable: 'KEEP_E2E_DIR',
      createDatabase: o.createDatabase ?? createTestDatabase,
      // A test's peers go with it: waiting for charon's goodbyes cost ~4 s a file.
      workerStopGraceMs: 500,
    });
  }

  async start(): Promise<void> {
    await this.startWithoutWorker();
    await this.startWorker();
  }

  /** Polls the tunnel until its connection state is one of `states`; returns the tunnel. */
  async waitForTunnel(id: string, states: string[], timeoutMs = 60_000): Promise<any> {
    let tunnel: any;
    try {
      await this.waitFor(
        async () => {
          tunnel = await this.ok('GET', `/api/v1/vpn-tunnels/${id}`);
          return states.includes(tunnel.connectionState);
        },
        timeoutMs,
        `tunnel ${id} to be ${states.join('/')}`,
      );
    } catch (err) {
      const log = await this.request('GET', `/api/v1/vpn-tunnels/${id}/logs?limit=3`).catch(() => null);
      const lines = (log?.body?.items ?? []).map((e: any) => `${e.kind} ${e.result} ${e.reasonCode}\n    ${e.lines.join('\n    ')}`).join('\n  ');
      throw new Error(`${(err as Error).message}; last: ${tunnel?.connectionState} ${JSON.stringify(tunnel?.failure)}\n  ${lines}`, { cause: err });
    }
    return tunnel;
  }

  async waitForGateway(id: string, state = 'running', timeoutMs = 60_000): Promise<any> {
    let gw: any;
    await this.waitFor(
      async () => {
        gw = await this.ok('GET', `/api/v1/vpn-gateways/${id}`);
        return gw.resourceState === state;
      },
      timeoutMs,
      `gateway ${id} to be ${state} (last: ${gw?.resourceState} ${gw?.stateReason})`,
    );
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

  /** A ping of `count` packets every `intervalS` running in the background (stopped by stop()). */
  backgroundPing(instance: string, target: string, count: number, intervalS = 0.2): Promise<PingResult> {
    const [bin, ...args] = this.lab.vmExecArgv(instance, ['ping', '-n', '-D', '-O', '-c', String(count), '-i', String(intervalS), '-W', '1', target]);
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.pings.push(child);
    let out = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (stderr += d));
    return new Promise((resolve) =>
      child.on('close', (exitCode) => {
        const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
        const lostAt = [...out.matchAll(/^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/gm)].map(
          (x) => `${new Date(Number(x[1]) * 1000).toISOString()} seq ${x[2]}`,
        );
        resolve({ sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, lostAt, exitCode, stderr: stderr.trim() });
      }),
    );
  }

  override async stop(): Promise<void> {
    for (const p of this.pings) p.kill('SIGKILL');
    await super.stop();
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
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(0, 3).join(' '))
      .sort();
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
      name,
      machineTypeId: this.inventory.machineType.id,
      vpcId: vpc.id,
      subnetId: vpc.subnets[subnetIndex].id,
      externalIpId: eip.id,
      chargeType: 'hourly',
    });
    return this.waitForGateway(gw.id);
  }

  /** A remote site configured from the tunnel's downloaded remote-side file, optionally edited. */
  async addSiteFromDownload(
    tunnelId: string,
    site: { name: string; publicIp: string; subnet: string },
    edit?: (b: { conf: string; secrets: string }) => { conf: string; secrets: string },
  ) {
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

  /** The API's or the worker's whole log ('' before it has one). */
  logs(name: 'api' | 'worker'): string {
    return existsSync(join(this.dir, `${name}.log`)) ? readFileSync(join(this.dir, `${name}.log`), 'utf8') : '';
  }
}
