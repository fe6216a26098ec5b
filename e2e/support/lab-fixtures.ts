// Helpers for e2e tests that run a private lab: a unique prefix per run (never the developer's
// 'vl' demo lab), polling, and a safety-net cleanup that removes only this run's namespaces.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/negotiation/host/exec';
import { listNamespaces, removeNamespace } from '../../src/negotiation/host/gateway-namespace';
import { isAlive } from '../../src/negotiation/host/process-files';

// e.g. 'lt3k9zq': a letter pair + 5 random base-36 characters (lab prefixes are <= 8 chars).
export function uniqueLabPrefix(letters = 'lt'): string {
  const n = randomBytes(4).readUInt32BE(0).toString(36).padStart(5, '0').slice(-5);
  return `${letters}${n}`;
}

export function uniqueGatewayId(): string {
  return `vpngw-${randomBytes(4).toString('hex')}`;
}

// Under /tmp, never /run: charon and the starter mount a private /run and would not see it.
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `${label}-`));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

// Rejects after `ms` instead of hanging the test until jest's own timeout; clears its timer.
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
}

// Whatever a failed test left: this prefix's namespaces (and their processes) and /etc/netns dirs.
export async function forceCleanupPrefix(prefix: string): Promise<void> {
  for (const ns of await namespacesWithPrefix(prefix)) await removeNamespace(ns, { killProcesses: true });
  for (const dir of safeReaddir('/etc/netns')) {
    if (dir.startsWith(`${prefix}-`)) rmSync(join('/etc/netns', dir), { recursive: true, force: true });
  }
}

export function killIfAlive(pid: number | null | undefined): void {
  if (pid && isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function linkExists(namespace: string, name: string): Promise<boolean> {
  try {
    await run('ip', ['-n', namespace, 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
