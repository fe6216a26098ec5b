// Several gateway hosts on this one machine: each is a worker process with its own host id and
// gateways directory, plugged into the same lab (its namespaces and ports carry its host tag, so
// two hosts' copies of one gateway coexist). The failure drills a real fleet has:
//   kill   a power loss: SIGKILL the worker and its charons, cut its gateways' links;
//   freeze the worker stops (SIGSTOP) but its charons keep running and answering: a host cut off
//          from the control plane, not from the internet (the split-brain case);
//   revive SIGCONT a frozen worker, or start a killed one again with the same settings.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { charonPaths } from '../src/negotiation/host/charon-config';
import { GatewayPlacement } from '../src/negotiation/host/gateway-network';
import { deleteLink, getLink } from '../src/negotiation/host/ip-link';
import { LabNames } from './lab-names';
import { hostTag } from '../src/negotiation/host/gateway-names';

export interface LabHostState {
  id: string;
  pid: number;
  gatewaysDir: string;
  log: string;
  /** The worker's settings beyond the inherited environment (kept for revive). */
  env: Record<string, string>;
}

export type LabHostCondition = 'running' | 'frozen' | 'dead';

export interface LabHostsOptions {
  /** Where each host keeps its gateways directory, log and state (`<dir>/<id>/`). */
  dir: string;
  prefix: string;
  /** The compiled lab worker (dist/lab/lab-worker.js: the worker with the lab's network driver). */
  workerScript: string;
  /** The environment every worker gets (database, Redis, secrets key...). */
  baseEnv: Record<string, string | undefined>;
}

export function assertHostId(id: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new Error(`invalid host id '${id}': 1-63 of a-z, 0-9, '-'`);
  return id;
}

export class LabHosts {
  private readonly names: LabNames;

  constructor(private readonly o: LabHostsOptions) {
    this.names = new LabNames(o.prefix);
  }

  private stateFile(id: string): string {
    return join(this.o.dir, assertHostId(id), 'host.json');
  }

  get(id: string): LabHostState | null {
    const file = this.stateFile(id);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LabHostState) : null;
  }

  list(): (LabHostState & { condition: LabHostCondition })[] {
    if (!existsSync(this.o.dir)) return [];
    return readdirSync(this.o.dir)
      .map((id) => this.get(id))
      .filter((h): h is LabHostState => h !== null)
      .map((h) => ({ ...h, condition: processCondition(h.pid) }));
  }

  /** Starts a worker for host `id` (settings in `env` on top of the base environment). */
  add(id: string, env: Record<string, string> = {}): LabHostState {
    const existing = this.get(id);
    if (existing && processCondition(existing.pid) !== 'dead') throw new Error(`host ${id} is already running (pid ${existing.pid})`);
    const dir = join(this.o.dir, id);
    mkdirSync(dir, { recursive: true });
    const state: LabHostState = { id, pid: 0, gatewaysDir: join(dir, 'gateways'), log: join(dir, 'worker.log'), env: { ...(existing?.env ?? {}), ...env } };
    state.pid = this.spawnWorker(state);
    writeFileSync(this.stateFile(id), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  }

  /** A power loss: the worker and its charons SIGKILLed, its gateways' links cut. */
  async kill(id: string): Promise<{ charons: number; links: number }> {
    const h = this.require(id);
    signal(h.pid, 'SIGKILL');
    let charons = 0;
    let links = 0;
    const tag = hostTag(id);
    for (const gatewayId of gatewayDirs(h.gatewaysDir)) {
      const paths = charonPaths(h.gatewaysDir, gatewayId);
      const pid = readPid(paths.pidFile);
      if (pid && signal(pid, 'SIGKILL')) charons++;
      const placement = readPlacement(join(paths.dir, 'placement.json'));
      if (!placement) continue;
      const port = this.names.gatewayPort(gatewayId, tag);
      for (const ns of [this.names.inetNamespace, this.names.vpcNamespace(placement.vpcId)]) {
        if (await getLink(ns, port)) {
          await deleteLink(ns, port);
          links++;
        }
      }
    }
    return { charons, links };
  }

  /** SIGSTOP the worker only: its charons keep their SAs and keep answering on the wire. */
  freeze(id: string): void {
    const h = this.require(id);
    if (!signal(h.pid, 'SIGSTOP')) throw new Error(`host ${id} is not running`);
  }

  /** A frozen worker continues; a dead one starts again with the same settings. */
  revive(id: string): LabHostState {
    const h = this.require(id);
    const condition = processCondition(h.pid);
    if (condition === 'frozen') {
      signal(h.pid, 'SIGCONT');
      return h;
    }
    if (condition === 'running') return h;
    return this.add(id);
  }

  private require(id: string): LabHostState {
    const h = this.get(id);
    if (!h) throw new Error(`no lab host '${id}' (lab host add ${id})`);
    return h;
  }

  private spawnWorker(h: LabHostState): number {
    const out = openSync(h.log, 'a');
    try {
      const child = spawn(process.execPath, [this.o.workerScript], {
        env: { ...this.o.baseEnv, LAB_PREFIX: this.o.prefix, HOST_ID: h.id, GATEWAYS_DIR: h.gatewaysDir, ...h.env },
        stdio: ['ignore', out, out],
        detached: true,
      });
      child.unref();
      if (!child.pid) throw new Error(`could not start the worker for host ${h.id}`);
      return child.pid;
    } finally {
      closeSync(out);
    }
  }
}

/** Running, stopped (SIGSTOP: state T in /proc) or gone (a zombie counts as gone). */
export function processCondition(pid: number): LabHostCondition {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return 'dead';
    return state === 'T' ? 'frozen' : 'running';
  } catch {
    return 'dead';
  }
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

function gatewayDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^vpngw-/.test(e.name))
    .map((e) => e.name);
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function readPlacement(file: string): GatewayPlacement | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GatewayPlacement;
  } catch {
    return null;
  }
}
