// Namespaces and processes for the route agent's e2e test: a pair of namespaces joined by a veth
// (so a `via` is on-link), route listings, and the agent (agent/route_agent.py) run as a real
// process by the system's python3, as the lab runs it.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { agentInterpreter, agentScript } from '../../lab/lab-agents';
import { run } from '../../src/negotiation/host/exec';
import { ensureNamespace, removeNamespace } from '../../src/negotiation/host/gateway-namespace';

export interface TestNetwork {
  ns: string; // 10.99.0.1/24 on a0
  peer: string; // 10.99.0.2/24 on a1
  remove(): Promise<void>;
}

export async function createTestNetwork(): Promise<TestNetwork> {
  const id = randomBytes(3).toString('hex');
  const ns = `agtest-${id}`;
  const peer = `agtest-${id}-p`;
  const net: TestNetwork = {
    ns,
    peer,
    remove: async () => {
      await removeNamespace(ns, { killProcesses: true });
      await removeNamespace(peer, { killProcesses: true });
    },
  };
  try {
    await ensureNamespace(ns);
    await ensureNamespace(peer);
    await run('ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1', 'netns', peer]);
    await run('ip', ['-n', ns, 'addr', 'add', '10.99.0.1/24', 'dev', 'a0']);
    await run('ip', ['-n', peer, 'addr', 'add', '10.99.0.2/24', 'dev', 'a1']);
    await run('ip', ['-n', ns, 'link', 'set', 'a0', 'up']);
    await run('ip', ['-n', peer, 'link', 'set', 'a1', 'up']);
  } catch (e) {
    await net.remove();
    throw e;
  }
  return net;
}

// 'dst via gw proto' strings of the main table, sorted: easy to compare in assertions.
export async function routeLines(ns: string, proto?: number): Promise<string[]> {
  const { stdout } = await run('ip', ['-n', ns, '-N', '-j', 'route', 'show', ...(proto ? ['proto', String(proto)] : [])]);
  const routes = JSON.parse(stdout || '[]') as { dst: string; gateway?: string; protocol?: string }[];
  return routes
    .filter((r) => r.gateway)
    .map((r) => `${r.dst} via ${r.gateway}${proto ? '' : ` proto ${r.protocol}`}`)
    .sort();
}

export interface AgentProcess {
  child: ChildProcess;
  pid: number;
  log(): string;
  exited(): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnAgent(o: { apiUrl: string; tokenFile: string; stateFile: string; netns: string; logFile: string; extra?: string[] }): AgentProcess {
  const out = openSync(o.logFile, 'a');
  const child = spawn(
    agentInterpreter(),
    [agentScript(), '--api-url', o.apiUrl, '--token-file', o.tokenFile, '--state-file', o.stateFile, '--netns', o.netns, ...(o.extra ?? [])],
    {
      stdio: ['ignore', out, out],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    },
  );
  closeSync(out);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    log: () => (existsSync(o.logFile) ? readFileSync(o.logFile, 'utf8') : ''),
    exited: () => exit,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

// Events printed by `ip monitor route` in a namespace while `during` runs.
export async function monitorRoutes(ns: string, during: () => Promise<void>): Promise<string[]> {
  const mon = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  mon.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  await new Promise((r) => setTimeout(r, 300)); // let it subscribe
  try {
    await during();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    mon.kill('SIGTERM');
  }
  return text.split('\n').filter(Boolean);
}
