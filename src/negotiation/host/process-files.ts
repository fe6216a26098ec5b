// Small process and file helpers for supervised daemons: pid files, /proc checks, log tails.
import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync, renameSync, statSync, unlinkSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill(0): look at its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function readPidFile(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

// True when /proc/<pid> mentions `marker` in its command line or environment: how we recognise
// our own daemon behind a pid file (the pid may have been reused by an unrelated process).
export function processMentions(pid: number, marker: string): boolean {
  for (const file of ['cmdline', 'environ']) {
    try {
      if (readFileSync(`/proc/${pid}/${file}`).toString('utf8').includes(marker)) return true;
    } catch {
      // gone, or not readable
    }
  }
  return false;
}

export function processGroupOf(pid: number): number | null {
  try {
    // Field 5 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return null;
  }
}

// Signals the process group when `pid` leads one, else the process alone.
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  const target = processGroupOf(pid) === pid ? -pid : pid;
  try {
    process.kill(target, signal);
  } catch {
    // already gone
  }
}

// SIGTERM, wait, then SIGKILL: resolves once the process is gone.
export async function terminate(pid: number, timeoutMs: number): Promise<void> {
  signalTree(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signalTree(pid, 'SIGKILL');
    const hard = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < hard) await sleep(20);
  }
}

export function tailFile(path: string, lines = 20, maxBytes = 16 * 1024): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

// Keeps an append-only log bounded: one rotation to <path>.1 when it passes `maxBytes`.
export function rotateIfLarge(path: string, maxBytes: number): void {
  try {
    if (statSync(path).size > maxBytes) renameSync(path, `${path}.1`);
  } catch {
    // no log yet
  }
}
