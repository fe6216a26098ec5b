// Real charon instances for e2e tests: each in a throw-away network namespace with a private
// /run (charon's pid file path is compiled in), its own strongswan.conf, log and VICI socket.
// Everything created here is tracked and torn down by stop()/cleanupAll(), even after failures.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';

const CHARON = '/usr/lib/ipsec/charon';
const namespaces = new Set<string>();
const processes = new Set<ChildProcess>();
const dirs = new Set<string>();
const keepFiles = (): boolean => Boolean(process.env.KEEP_VICI_TEST); // keep logs for debugging

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `ip netns add vicitest-<random>` with lo up; returns the name. */
export function createNamespace(prefix = 'vicitest'): string {
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  ip('netns', 'add', ns);
  namespaces.add(ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return ns;
}

export function deleteNamespace(ns: string): void {
  // processes we started inside it first, or the namespace lingers
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  } catch {
    /* namespace already gone */
  }
  try {
    ip('netns', 'del', ns);
  } catch {
    /* already gone */
  }
  namespaces.delete(ns);
}

export function addAddress(ns: string, cidr: string, dev = 'lo'): void {
  ip('-n', ns, 'addr', 'add', cidr, 'dev', dev);
}

/** A veth pair joining two namespaces (or one namespace to itself when nsB === nsA). */
export function linkNamespaces(nsA: string, cidrA: string | null, nsB: string, cidrB: string | null): void {
  const tag = randomBytes(3).toString('hex');
  const a = `va${tag}`;
  const b = `vb${tag}`;
  ip('-n', nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
  if (cidrA) ip('-n', nsA, 'addr', 'add', cidrA, 'dev', a);
  if (cidrB) ip('-n', nsB, 'addr', 'add', cidrB, 'dev', b);
  ip('-n', nsA, 'link', 'set', a, 'up');
  ip('-n', nsB, 'link', 'set', b, 'up');
}

export function execIn(ns: string, command: string, args: string[], timeoutMs = 10_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

export interface TestCharon {
  ns: string;
  dir: string;
  socketPath: string;
  logPath: string;
  /** The charon log so far (for assertions and failure diagnostics). */
  log(): string;
  stop(): Promise<void>;
}

export interface StartCharonOptions {
  /** Extra lines inside `charon { ... }` (e.g. retransmit settings). */
  charonSettings?: string;
  startTimeoutMs?: number;
  /** A whole strongswan.conf instead of the test one (given the charon's directory); it must put the
   * VICI socket at <dir>/charon.vici and should log to <dir>/charon.log. */
  strongswanConf?: (dir: string) => string;
}

function strongswanConf(dir: string, extra: string): string {
  return `charon {
  port = 500
  port_nat_t = 4500
  install_routes = yes
${extra}
  filelog {
    main {
      path = ${dir}/charon.log
      default = 1
      flush_line = yes
    }
  }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    vici { socket = unix://${dir}/charon.vici }
  }
}
`;
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path: socketPath });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts charon inside `ns` and waits until its VICI socket accepts connections. */
export async function startCharon(ns: string, options: StartCharonOptions = {}): Promise<TestCharon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vicitest-'));
  dirs.add(dir);
  const conf = path.join(dir, 'strongswan.conf');
  fs.writeFileSync(conf, options.strongswanConf ? options.strongswanConf(dir) : strongswanConf(dir, options.charonSettings ?? ''));
  const socketPath = path.join(dir, 'charon.vici');
  const logPath = path.join(dir, 'charon.log');
  const script = `mount -t tmpfs none /var/run && STRONGSWAN_CONF=${conf} exec ${CHARON}`;
  const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  processes.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const log = (): string => (fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '');
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(timer);
    }
    processes.delete(child);
    if (!keepFiles()) fs.rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  while (!(await canConnect(socketPath))) {
    if (exited || Date.now() > deadline) {
      const why = exited ? 'charon exited' : 'VICI socket did not come up';
      await stop();
      throw new Error(`${why} (ns ${ns}): ${stderr}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ns, dir, socketPath, logPath, log, stop };
}

/** Kills every charon, deletes every namespace and temp dir this module created. */
export async function cleanupAll(): Promise<void> {
  for (const child of processes) child.kill('SIGKILL');
  processes.clear();
  for (const ns of [...namespaces]) deleteNamespace(ns);
  if (!keepFiles()) for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

// last resort if a test run is interrupted before afterAll
process.once('exit', () => {
  for (const child of processes) child.kill('SIGKILL');
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }
});
