// The instances of the route benchmark and their route agents. Each instance is registered through
// the operator API, gets a namespace plugged into the lab VPC's subnet bridge by the lab's own
// ensureVpcs (lab-fabric.ts: veth eth0 <-> port on the bridge, its address, default via .1), and
// an agent token written to a 0600 file. Agents run either
//  - as the CLI (node dist/agent/main.js --netns ...), one process each, exactly as the lab runs
//    them (lab-agents.ts agentArgv/agentScript), or
//  - in this process: one RouteAgent per instance, configured by the CLI's own flag parser from the
//    same argv and built as agent/main.ts builds it (same AgentApiClient, IpRouteTable, RouteAgent).
import { ChildProcess, spawn } from 'child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, WriteStream, writeFileSync } from 'fs';
import { join } from 'path';
import { AGENT_VERSION, AgentApiClient, IpRouteTable, parseAgentArgs, RouteAgent } from '../../agent';
import { agentArgv, agentScript } from '../../lab/lab-agents';
import { ensureVpcs, removeNamespaces } from '../../lab/lab-fabric';
import { LabInventory } from '../../lab/lab-inventory';
import { AgentState, emptyState } from '../../lab/lab-state';
import { intToIp, ipToInt } from '../../src/common/cidr';
import { LabNames } from '../../lab/lab-names';
import { BenchProduct } from './bench-product';
import { pool, statusKb } from './proc-stats';

export type AgentMode = 'library' | 'process';

export interface FleetInstance {
  name: string;
  privateIp: string;
  instanceId: string;
  targetId: string;
  namespace: string;
  agent: AgentState; // what the lab keeps per agent: files, namespace, API URL
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);

export class Fleet {
  readonly instances: FleetInstance[] = [];
  private namespaces: string[] = [];
  private library: { agent: RouteAgent; done: Promise<void> }[] = [];
  private children: ChildProcess[] = [];
  private libraryLogs: WriteStream[] = [];

  constructor(
    private readonly product: BenchProduct,
    private readonly names: LabNames,
    private readonly dir: string,
  ) {}

  /** Registers `count` instances from `firstIp` in the VPC's first subnet, plugs them in, issues tokens. */
  async create(count: number, firstIp: string): Promise<void> {
    const inv = this.product.inventory;
    const vpc = inv.vpcs[0];
    const subnet = vpc.subnets[0];
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const specs = Array.from({ length: count }, (_, i) => ({ name: `rb-${String(i).padStart(3, '0')}`, privateIp: intToIp(ipToInt(firstIp) + i) }));
    const created = await pool(specs, 4, (s) => this.product.ok('POST', '/api/v1/instances', { subnetId: subnet.id, ...s }, this.product.adminKey));
    const targets = await this.product.sql<{ id: string; instance_id: string }>('SELECT id, instance_id FROM agent_targets WHERE instance_id = ANY($1)', [
      created.map((c) => c.id),
    ]);
    const targetOf = new Map(targets.map((t) => [t.instance_id, t.id]));
    specs.forEach((s, i) => {
      const namespace = this.names.instanceNamespace(s.name);
      const files = { tokenFile: join(this.dir, `${s.name}.token`), stateFile: join(this.dir, `${s.name}.json`), logFile: join(this.dir, `${s.name}.log`) };
      const agent: AgentState = { name: s.name, kind: 'instance', targetId: created[i].id, namespace, apiUrl: this.product.baseUrl, ...files };
      this.instances.push({ ...s, instanceId: created[i].id, targetId: targetOf.get(created[i].id)!, namespace, agent });
    });
    if (this.instances.some((i) => !i.targetId)) throw new Error('an instance has no agent target');
    log(`registered ${count} instances (${specs[0].privateIp} - ${specs[count - 1].privateIp}); plugging them into ${subnet.cidr}`);
    // Recorded before they exist, so that a failure half-way still removes what was made.
    this.namespaces = this.instances.map((i) => i.namespace);
    const mine: LabInventory = { ...inv, vpcs: [{ ...vpc, subnets: [{ ...subnet, instances: specs }] }] };
    await ensureVpcs(this.names, emptyState(this.names.prefix), mine);
    await pool(this.instances, 4, async (i) => {
      const body = await this.product.ok('POST', `/api/v1/instances/${i.instanceId}/agent-token`, {}, this.product.adminKey);
      writeFileSync(i.agent.tokenFile, `${body.token}\n`, { mode: 0o600 });
    });
  }

  /** Starts one agent per instance; resolves when all of them are running (not yet applied). */
  async start(mode: AgentMode): Promise<void> {
    if (mode === 'library') {
      for (const i of this.instances) {
        // The CLI's log line (main.ts), into the file the CLI's output would go to.
        const out = createWriteStream(i.agent.logFile, { flags: 'a' });
        this.libraryLogs.push(out);
        const agent = libraryAgent(agentArgv(agentScript(), i.agent).slice(1), (line) => out.write(`${new Date().toISOString()} ${line}\n`));
        this.library.push({ agent, done: agent.start() });
      }
      return;
    }
    const script = agentScript();
    for (const i of this.instances) {
      const out = openSync(i.agent.logFile, 'a');
      try {
        // As lab-agents.ts starts them, but as our children (stopped by pid at the end).
        this.children.push(
          spawn(process.execPath, agentArgv(script, i.agent), {
            stdio: ['ignore', out, out],
            env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
          }),
        );
      } finally {
        closeSync(out);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    const dead = this.children.filter((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead.length) throw new Error(`${dead.length} agent processes exited at start (see ${this.instances[0].agent.logFile})`);
  }

  /** Stops every agent of this run (routes stay in place, as with SIGTERM). */
  async stop(): Promise<void> {
    for (const a of this.library) a.agent.stop();
    await Promise.all(this.library.map((a) => a.done.catch(() => undefined)));
    this.library = [];
    for (const out of this.libraryLogs) out.end();
    this.libraryLogs = [];
    const children = this.children;
    this.children = [];
    await Promise.all(children.map((c) => stopChild(c)));
  }

  /** RSS of the agents: the processes' sum, or this process (library mode). */
  agentRssKb(): number | null {
    if (this.children.length) return this.children.reduce((sum, c) => sum + (statusKb(c.pid!, 'VmRSS') ?? 0), 0);
    return this.library.length ? statusKb(process.pid, 'VmRSS') : null;
  }

  /** CPU seconds (user + system) the agent processes used so far, `ip` children excluded. */
  agentCpuMs(): number | null {
    if (this.children.length) return this.children.reduce((sum, c) => sum + (procCpuMs(c.pid!) ?? 0), 0);
    if (!this.library.length) return null;
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }

  async remove(): Promise<void> {
    await this.stop();
    await removeNamespaces(this.namespaces);
    this.namespaces = [];
  }
}

/** agent/main.ts's construction of the agent, from the CLI's argv (without the script). */
function libraryAgent(argv: string[], logLine: (line: string) => void): RouteAgent {
  const config = parseAgentArgs(argv, {});
  if (config === 'help' || !config.tokenFile) throw new Error('agent argv without a token file');
  const tokenFile = config.tokenFile;
  // main.ts tokenSource(): the file is re-read on every request.
  const api = new AgentApiClient({ apiUrl: config.apiUrl, token: () => readFileSync(tokenFile, 'utf8').trim(), agentVersion: AGENT_VERSION });
  return new RouteAgent({
    api,
    table: new IpRouteTable(config.proto, config.netns),
    agentVersion: AGENT_VERSION,
    waitSeconds: config.waitSeconds,
    authRetryMs: config.authRetrySeconds * 1000,
    stateFile: config.stateFile,
    log: logLine,
  });
}

/** utime + stime of a process from /proc/<pid>/stat, in ms (null when gone). */
export function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    c.kill('SIGTERM');
  });
}
