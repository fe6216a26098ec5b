// Route agents for the lab's instances and VPC routers. Each agent runs in the HOST namespace and
// acts on its target's namespace through a netlink socket opened inside it (agent --netns): the
// lab's namespaces have no path to the API on the host's 127.0.0.1, and this keeps the instances'
// own network untouched. On a real VM the agent runs on the instance itself, without --netns.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabNames } from './lab-names';
import { isAlive, processMentions, rotateIfLarge, sleep, tailFile, terminate } from '../src/negotiation/host/process-files';
import { LabApiClient, LabApiError } from './lab-api';
import { LabInventory } from './lab-inventory';
import { AgentKind, AgentState, AgentTarget, LabState } from './lab-state';

export interface AgentSummary {
  name: string;
  kind: AgentKind;
  namespace: string;
  pid?: number;
  alive: boolean;
  lastLog: string;
}

const LOG_MAX_BYTES = 5 * 1024 * 1024;

export function agentTargets(names: LabNames, inv: LabInventory): AgentTarget[] {
  const out: AgentTarget[] = [];
  for (const vpc of inv.vpcs) {
    out.push({ name: vpc.name, kind: 'router', targetId: vpc.id, namespace: names.vpcNamespace(vpc.id) });
    for (const subnet of vpc.subnets) {
      for (const i of subnet.instances) {
        if (i.id) out.push({ name: i.name, kind: 'instance', targetId: i.id, namespace: names.instanceNamespace(i.name) });
      }
    }
  }
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.name)) throw new Error(`two agent targets are named '${t.name}' (an instance and a VPC?): rename one`);
    seen.add(t.name);
  }
  return out;
}

export function agentArgv(script: string, a: AgentState): string[] {
  return [script, '--api-url', a.apiUrl, '--token-file', a.tokenFile, '--state-file', a.stateFile, '--netns', a.namespace];
}

// agent/route_agent.py (one file, nothing to build), whether the lab runs compiled (dist/lab) or
// from source under jest (lab/).
export function agentScript(): string {
  const candidates = [join(__dirname, '..', 'agent', 'route_agent.py'), join(__dirname, '..', '..', 'agent', 'route_agent.py')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the route agent is missing (${candidates.join(' or ')})`);
  return found;
}

// The system's python3, as on an instance (Debian's, 3.11 on Debian 12): not a version manager's
// shim found first in PATH, which would start a different interpreter (and a shell before it).
export function agentInterpreter(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export class LabAgents {
  constructor(readonly dir: string) {}

  // Starts an agent for every target that has none running; issues a token only when its file
  // is missing. Returns warnings: the lab still works without agents (e.g. an older API).
  async ensure(state: LabState, inventory: LabInventory, names: LabNames, api: LabApiClient, apiUrl: string): Promise<string[]> {
    const agents = (state.agents ??= {});
    const targets = agentTargets(names, inventory);
    const wanted = new Set(targets.map((t) => t.name));
    for (const a of Object.values(agents)) {
      if (!wanted.has(a.name)) await this.remove(state, a.name);
    }
    const warnings: string[] = [];
    let notFound = 0;
    for (const t of targets) {
      const prev = agents[t.name];
      const a: AgentState = { ...t, ...this.files(t.name), apiUrl, pid: prev?.pid };
      if (prev && (prev.targetId !== t.targetId || prev.apiUrl !== apiUrl || prev.namespace !== t.namespace)) {
        // Another database or API: the old token means nothing there.
        await this.stop(prev);
        rmSync(a.tokenFile, { force: true });
        a.pid = undefined;
      }
      agents[t.name] = a;
      if (this.running(a)) continue;
      try {
        if (!existsSync(a.tokenFile)) await this.issueToken(a, api);
        a.pid = await this.start(a);
      } catch (e) {
        if (e instanceof LabApiError && e.status === 404) notFound++;
        warnings.push(`route agent ${t.name}: ${(e as Error).message}`);
      }
    }
    // Every token request unknown: an API without agent endpoints. One line says it all.
    if (notFound && notFound === targets.length) return ['route agents not started: the API answered 404 to every agent-token request (no agent endpoints?)'];
    return warnings;
  }

  async issueToken(a: AgentState, api: LabApiClient): Promise<void> {
    const path = a.kind === 'instance' ? `instances/${a.targetId}/agent-token` : `vpcs/${a.targetId}/router-token`;
    const body = (await api.create(path, {})) as Record<string, unknown>;
    if (typeof body.token !== 'string' || !body.token) throw new Error(`POST ${path} returned no token`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // 600 from creation on; renamed into place so the agent never reads half a token.
    const tmp = `${a.tokenFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${body.token}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, a.tokenFile);
  }

  // Detached, in the host namespace, with a clean environment (the lab's admin key stays here).
  async start(a: AgentState): Promise<number> {
    if (this.running(a)) return a.pid!;
    if (!existsSync(a.tokenFile)) throw new Error(`no token file ${a.tokenFile}: 'lab up' issues one`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    rotateIfLarge(a.logFile, LOG_MAX_BYTES);
    const out = openSync(a.logFile, 'a');
    let pid: number | undefined;
    try {
      const child = spawn(agentInterpreter(), agentArgv(agentScript(), a), {
        detached: true,
        stdio: ['ignore', out, out],
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(out);
    }
    if (!pid) throw new Error(`could not spawn the agent for ${a.name}`);
    // A bad flag or token file makes it exit at once: say so here, with its words.
    await sleep(300);
    if (!isAlive(pid)) throw new Error(`the agent for ${a.name} exited at start:\n${tailFile(a.logFile, 5)}`);
    return pid;
  }

  async stop(a: AgentState): Promise<void> {
    // SIGTERM: the agent leaves its routes in place and exits.
    if (this.running(a)) await terminate(a.pid!, 5000);
    a.pid = undefined;
  }

  async stopAll(state: LabState): Promise<void> {
    for (const a of Object.values(state.agents ?? {})) await this.stop(a);
  }

  async remove(state: LabState, name: string): Promise<void> {
    const a = state.agents?.[name];
    if (!a) return;
    await this.stop(a);
    for (const f of [a.tokenFile, a.stateFile, a.logFile, `${a.logFile}.1`]) rmSync(f, { force: true });
    delete state.agents![name];
  }

  // Alive and really our agent: the pid may have been reused by an unrelated process.
  running(a: AgentState): boolean {
    return Boolean(a.pid && isAlive(a.pid) && processMentions(a.pid, a.tokenFile));
  }

  summaries(state: LabState | null): AgentSummary[] {
    return Object.values(state?.agents ?? {}).map((a) => {
      const alive = this.running(a);
      return { name: a.name, kind: a.kind, namespace: a.namespace, pid: alive ? a.pid : undefined, alive, lastLog: tailFile(a.logFile, 1) };
    });
  }

  private files(name: string) {
    return {
      tokenFile: join(this.dir, `${name}.token`),
      stateFile: join(this.dir, `${name}.json`),
      logFile: join(this.dir, `${name}.log`),
    };
  }
}

export function formatAgents(agents: AgentSummary[]): string {
  if (!agents.length) return 'no route agents (they start with a registered `lab up`)';
  return agents
    .map((a) => `${a.name.padEnd(12)} ${a.kind.padEnd(8)} ${a.alive ? `running (pid ${a.pid})` : 'STOPPED'}`.padEnd(42) + ` ${a.lastLog || '(no log yet)'}`)
    .join('\n');
}
