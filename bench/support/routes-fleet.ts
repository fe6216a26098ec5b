// The instances of the route benchmark and their route agents. Each instance is registered through
// the operator API, gets a namespace plugged into the lab VPC's subnet bridge by the lab's own
// ensureVpcs (lab-fabric.ts: veth eth0 <-> port on the bridge, its address, default via .1), and
// an agent token written to a 0600 file. Agents run as the lab runs them (lab-agents.ts
// agentInterpreter/agentArgv/agentScript: python3 agent/route_agent.py --netns ...), one process
// each, as this process's children.
import { ChildProcess, spawn } from 'child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { agentArgv, agentInterpreter, agentScript } from '../../lab/lab-agents';
import { ensureVpcs, removeNamespaces } from '../../lab/lab-fabric';
import { LabInventory } from '../../lab/lab-inventory';
import { AgentState, emptyState } from '../../lab/lab-state';
import { intToIp, ipToInt } from '../../src/common/cidr';
import { LabNames } from '../../lab/lab-names';
import { BenchProduct } from './bench-product';
import { pool, statusKb } from './proc-stats';

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
  private children: ChildProcess[] = [];

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
  async start(): Promise<void> {
    const script = agentScript();
    const python = agentInterpreter();
    for (const i of this.instances) {
      const out = openSync(i.agent.logFile, 'a');
      try {
        // As lab-agents.ts starts them, but as our children (stopped by pid at the end).
        this.children.push(
          spawn(python, agentArgv(script, i.agent), {
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
    const children = this.children;
    this.children = [];
    await Promise.all(children.map((c) => stopChild(c)));
  }

  /** RSS of each agent process (KiB). */
  agentRssKb(): number[] {
    return this.children.map((c) => statusKb(c.pid!, 'VmRSS') ?? 0);
  }

  /** CPU ms (user + system) the agent processes used so far. */
  agentCpuMs(): number | null {
    if (!this.children.length) return null;
    return this.children.reduce((sum, c) => sum + (procCpuMs(c.pid!) ?? 0), 0);
  }

  async remove(): Promise<void> {
    await this.stop();
    await removeNamespaces(this.namespaces);
    this.namespaces = [];
  }
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
