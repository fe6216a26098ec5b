// Network namespaces: create/remove idempotently, list, and find the processes inside.
// Used for gateway namespaces (by the runtime) and for the lab's namespaces.
import { existsSync } from 'node:fs';
import { run, ExecError } from './exec';

const NETNS_DIR = '/run/netns';

export function assertNamespaceName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new Error(`invalid network namespace name '${name}'`);
  }
  return name;
}

export function namespaceExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${assertNamespaceName(name)}`);
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  // Lines look like "vpngw-ab12cd34 (id: 3)" or just "vpngw-ab12cd34".
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((n): n is string => Boolean(n));
}

export async function ensureNamespace(name: string): Promise<void> {
  assertNamespaceName(name);
  if (!namespaceExists(name)) {
    try {
      await run('ip', ['netns', 'add', name]);
    } catch (e) {
      // Lost a race with another caller: fine, it exists now.
      if (!(e instanceof ExecError && /File exists/.test(e.stderr))) throw e;
    }
  }
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function namespacePids(name: string): Promise<number[]> {
  if (!namespaceExists(name)) return [];
  const { stdout } = await run('ip', ['netns', 'pids', name]);
  return stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

// Kills whatever still runs in the namespace: a namespace with a process inside outlives
// `ip netns del` (only its name goes), keeping its addresses and sockets alive.
export async function killNamespaceProcesses(name: string): Promise<number> {
  const pids = await namespacePids(name);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.length;
}

export interface RemoveNamespaceOptions {
  killProcesses?: boolean;
}

export async function removeNamespace(name: string, options: RemoveNamespaceOptions = {}): Promise<void> {
  assertNamespaceName(name);
  if (!namespaceExists(name)) return;
  if (options.killProcesses ?? true) await killNamespaceProcesses(name);
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (e) {
    if (!(e instanceof ExecError && /No such file/.test(e.stderr))) throw e;
  }
}

// Runs a sysctl inside a namespace (each namespace has its own net.* sysctls).
export async function setNamespaceSysctls(name: string, values: Record<string, string | number>): Promise<void> {
  const args = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  await run('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', ...args]);
}
