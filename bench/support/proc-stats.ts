// Small measurement helpers for the negotiation benchmark: /proc memory figures and percentiles.
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

/** A field of /proc/<pid>/status in KiB (VmRSS, VmHWM ...), or null when the process is gone. */
export function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function comm(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The charons the worker started: the pid file in each gateway directory, checked to be a charon. */
export function charonPids(gatewaysDir: string): number[] {
  if (!existsSync(gatewaysDir)) return [];
  const pids: number[] = [];
  for (const entry of readdirSync(gatewaysDir)) {
    try {
      const pid = Number(readFileSync(join(gatewaysDir, entry, 'charon.pid'), 'utf8').trim());
      if (pid > 0 && comm(pid) === 'charon') pids.push(pid);
    } catch {
      // no pid file (yet)
    }
  }
  return pids;
}

export interface CharonMemory {
  count: number;
  totalRssKb: number;
  maxRssKb: number;
}

/**
 * IKE_SA_INITs restarted by the responder's answer, in the charon logs under `gatewaysDir` (one
 * directory per gateway): charon logs "initiating IKE_SA name[n]" again when it re-sends with a
 * COOKIE (or another DH group). A responder asks for COOKIEs when an initiator looks like a flood
 * (docs/operations.md, IKE flood thresholds): what the product's pacing must avoid.
 */
export function ikeInitRestarts(gatewaysDir: string): number {
  let restarts = 0;
  for (const gateway of readdirSync(gatewaysDir)) {
    let log: string;
    try {
      log = readFileSync(join(gatewaysDir, gateway, 'charon.log'), 'utf8');
    } catch {
      continue;
    }
    const seen = new Map<string, number>();
    for (const m of log.matchAll(/ initiating IKE_SA (\S+\[\d+\])/g)) seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
    for (const n of seen.values()) restarts += n - 1;
  }
  return restarts;
}

export function charonMemory(gatewaysDir: string): CharonMemory {
  const rss = charonPids(gatewaysDir).map((pid) => statusKb(pid, 'VmRSS') ?? 0);
  return { count: rss.length, totalRssKb: rss.reduce((a, b) => a + b, 0), maxRssKb: Math.max(0, ...rss) };
}

/**
 * Each charon's memory from /proc/<pid>/smaps_rollup: RSS counts every shared library page it maps
 * (libcrypto, libc...) in full in every charon; PSS divides those among the processes sharing them,
 * so the charons' PSS summed is what they take from the host. Anonymous: its own heap and stacks.
 */
export function charonSmaps(gatewaysDir: string) {
  const rows = charonPids(gatewaysDir).flatMap((pid) => {
    try {
      const f = Object.fromEntries(
        [...readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)].map((m) => [m[1], Number(m[2])] as const),
      );
      return [{ rss: f.Rss, pss: f.Pss, pssAnon: f.Pss_Anon, pssFile: f.Pss_File, anon: f.Anonymous, threads: readdirSync(`/proc/${pid}/task`).length }];
    } catch {
      return []; // gone meanwhile
    }
  });
  const stat = (k: 'rss' | 'pss' | 'pssAnon' | 'pssFile' | 'anon') => {
    const xs = rows.map((r) => r[k] / 1024);
    return { p50: round(percentile(xs, 50), 2), max: round(Math.max(0, ...xs), 2) };
  };
  return {
    count: rows.length,
    rssMiB: stat('rss'),
    pssMiB: stat('pss'),
    anonymousMiB: stat('anon'),
    pssFileMiB: stat('pssFile'),
    totalRssMiB: round(rows.reduce((n, r) => n + r.rss, 0) / 1024),
    totalPssMiB: round(rows.reduce((n, r) => n + r.pss, 0) / 1024),
    threads: rows.length ? rows[0].threads : null,
  };
}

export const mib = (kb: number | null): number | null => (kb === null ? null : Math.round((kb / 1024) * 10) / 10);

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function summary(values: number[]): { n: number; min: number; p50: number; p95: number; max: number; mean: number } {
  return {
    n: values.length,
    min: round(Math.min(...values)),
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Every live process's CPU (user + system seconds; `reaped`: its waited-for children's too), by pid and start time. */
export interface CpuSnapshot {
  /** The machine's busy seconds so far, all cores (/proc/stat: everything but idle and iowait). */
  busySeconds: number;
  processes: Map<string, { pid: number; comm: string; seconds: number; reaped: number }>;
}

const TICKS = 100; // USER_HZ: /proc's clock ticks per second on Linux

export function cpuSnapshot(): CpuSnapshot {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal
  const busySeconds = (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]) / TICKS;
  const processes: CpuSnapshot['processes'] = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields from the 3rd: utime 14, stime 15, cutime 16, cstime 17, starttime 22.
      processes.set(`${entry}:${f[19]}`, {
        pid: Number(entry),
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        seconds: (Number(f[11]) + Number(f[12])) / TICKS,
        reaped: (Number(f[13]) + Number(f[14])) / TICKS,
      });
    } catch {
      // exited meanwhile
    }
  }
  return { busySeconds, processes };
}

/**
 * Core-seconds spent between two snapshots, by what `labelOf` calls each process (null: by its
 * command name). A process started meanwhile counts whole; one that exited meanwhile is lost, unless
 * `withReaped` says its parent's label takes what the parent waited for (a worker's `ip` processes).
 * `unattributed` is the machine's busy time no live process accounts for (exited processes, the
 * kernel's own work).
 */
export function cpuSpent(
  before: CpuSnapshot,
  after: CpuSnapshot,
  labelOf: (p: { pid: number; comm: string }) => string | null = () => null,
  withReaped: (label: string) => boolean = () => false,
): { machine: number; byLabel: Record<string, number>; unattributed: number } {
  const byLabel = new Map<string, number>();
  for (const [key, p] of after.processes) {
    const label = labelOf(p) ?? p.comm;
    const was = before.processes.get(key);
    const spent = p.seconds - (was?.seconds ?? 0) + (withReaped(label) ? p.reaped - (was?.reaped ?? 0) : 0);
    if (spent > 0) byLabel.set(label, (byLabel.get(label) ?? 0) + spent);
  }
  const machine = after.busySeconds - before.busySeconds;
  const attributed = [...byLabel.values()].reduce((a, b) => a + b, 0);
  const top = [...byLabel].filter(([, s]) => s >= 0.05).sort((a, b) => b[1] - a[1]);
  return {
    machine: round(machine, 2),
    byLabel: Object.fromEntries(top.map(([l, s]) => [l, round(s, 2)])),
    unattributed: round(Math.max(0, machine - attributed), 2),
  };
}
