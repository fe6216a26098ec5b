// Two strongSwan sites in network namespaces joined by a veth pair, for checking rendered configs
// against the real daemon: charon (VICI-loaded, as the platform runs it) or the legacy starter
// (ipsec.conf, as a remote administrator runs it). kernel-libipsec: this kernel has no ESP.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ViciCommands, ViciSession } from '../../src/vici';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (...args: string[]) => execFileSync(args[0], args.slice(1), { stdio: 'pipe' }).toString();

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export class Site {
  private proc: ChildProcess | null = null;
  output = '';
  constructor(
    readonly ns: string,
    readonly dir: string,
  ) {}

  get socket(): string {
    return join(this.dir, 'charon.vici');
  }

  private writeStrongswanConf(): string {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, 'strongswan.conf');
    writeFileSync(
      conf,
      `starter { config_file = ${join(this.dir, 'ipsec.conf')} }
charon {
  install_routes = yes
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  filelog { lab { path = ${join(this.dir, 'charon.log')}
    flush_line = yes
    default = 1 } }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    stroke { secrets_file = ${join(this.dir, 'ipsec.secrets')} }
    vici { socket = unix://${this.socket} }
  }
}
`,
    );
    return conf;
  }

  private async run(binary: string): Promise<void> {
    const env = { ...process.env, STRONGSWAN_CONF: join(this.dir, 'strongswan.conf') };
    // A private /run per site: charon's and starter's pid files are compiled in there.
    const script = `mount -t tmpfs none /var/run && exec ${binary}`;
    this.proc = spawn('ip', ['netns', 'exec', this.ns, 'unshare', '-m', 'sh', '-c', script], { env, detached: true });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    // Probe the socket file first: a session to a missing socket waits out its whole timeout.
    await waitFor(`charon's VICI socket in ${this.ns}`, async () => (existsSync(this.socket) ? this.vici(async (v) => (await v.version()).daemon) : undefined));
  }

  /** charon alone, configured over VICI (the platform's way). */
  async startCharon(): Promise<void> {
    this.writeStrongswanConf();
    await this.run('/usr/lib/ipsec/charon');
  }

  /** The legacy starter reading ipsec.conf/ipsec.secrets (a remote administrator's way). */
  async startStarter(ipsecConf: string, secrets: string, expectConns: string[]): Promise<void> {
    this.writeStrongswanConf();
    writeFileSync(join(this.dir, 'ipsec.conf'), ipsecConf);
    writeFileSync(join(this.dir, 'ipsec.secrets'), secrets, { mode: 0o600 });
    await this.run('/usr/lib/ipsec/starter --nofork');
    await waitFor('the starter to load its conns', async () => {
      const conns = await this.vici((v) => v.listConns());
      const names = conns.flatMap((c) => Object.keys((c.conn.children as object) ?? {}));
      return expectConns.every((n) => names.includes(n)) || undefined;
    });
  }

  /** One short-lived session per use: no reconnects, nothing left open between steps. */
  async vici<T>(use: (v: ViciCommands) => Promise<T>): Promise<T> {
    const session = new ViciSession({ socketPath: this.socket, reconnect: false, timeoutMs: 10_000 });
    try {
      return await use(new ViciCommands(session));
    } finally {
      await session.close();
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'charon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM the whole process group, then SIGKILL whatever is still in the namespace. */
  async stop(): Promise<void> {
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    this.proc = null;
    const left = () => sh('ip', 'netns', 'pids', this.ns).split('\n').filter(Boolean).map(Number);
    for (let i = 0; i < 30 && left().length; i++) await sleep(100);
    for (const pid of left()) process.kill(pid, 'SIGKILL');
  }
}

export interface Lab {
  platform: Site;
  remote: Site;
  teardown(): Promise<void>;
}

const LAB_DIR = '/tmp/strongswan-conf-e2e-';

/** Labs left by a test process that was killed (its pid is in the name): stop and delete them. */
export function reapStaleLabs(): void {
  const namespaces = sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0]);
  const tags = new Set(namespaces.map((ns) => /^(ssc\d+)[pr]$/.exec(ns)?.[1]).filter((t): t is string => !!t && existsSync(LAB_DIR + t)));
  for (const tag of tags) {
    try {
      process.kill(Number(tag.slice(3)), 0);
      continue; // its test process is alive
    } catch {
      /* dead: reap */
    }
    for (const ns of [`${tag}p`, `${tag}r`].filter((n) => namespaces.includes(n))) {
      for (const pid of sh('ip', 'netns', 'pids', ns).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
    rmSync(LAB_DIR + tag, { recursive: true, force: true });
  }
}

/** platform ns: gatewayIp + local subnets' first hosts on lo; remote ns likewise, default route. */
export function createLab(tag: string, gatewayIp: string, remoteIp: string, localCidrs: string[], remoteCidrs: string[]): Lab {
  const base = `${LAB_DIR}${tag}`;
  const [pns, rns] = [`${tag}p`, `${tag}r`];
  const lab: Lab = {
    platform: new Site(pns, join(base, 'platform')),
    remote: new Site(rns, join(base, 'remote')),
    async teardown() {
      await Promise.all([lab.platform.stop(), lab.remote.stop()]);
      for (const ns of [pns, rns]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      rmSync(base, { recursive: true, force: true });
    },
  };
  const host = (cidr: string) => `${cidr.replace(/\.0\/(\d+)$/, '.1/$1')}`;
  try {
    sh('ip', 'netns', 'add', pns);
    sh('ip', 'netns', 'add', rns);
    sh('ip', 'link', 'add', `${tag}p0`, 'netns', pns, 'type', 'veth', 'peer', 'name', `${tag}r0`, 'netns', rns);
    for (const [ns, dev, me, other, cidrs] of [
      [pns, `${tag}p0`, gatewayIp, remoteIp, localCidrs],
      [rns, `${tag}r0`, remoteIp, gatewayIp, remoteCidrs],
    ] as const) {
      const ip = (...a: string[]) => sh('ip', '-n', ns, ...a);
      ip('link', 'set', 'lo', 'up');
      ip('link', 'set', dev, 'up');
      ip('addr', 'add', `${me}/32`, 'dev', dev);
      ip('route', 'add', `${other}/32`, 'dev', dev);
      if (ns === rns) ip('route', 'add', 'default', 'dev', dev); // for left=%defaultroute
      for (const c of cidrs) ip('addr', 'add', host(c), 'dev', 'lo');
    }
  } catch (e) {
    for (const ns of [pns, rns]) execFileSync('sh', ['-c', `ip netns del ${ns} 2>/dev/null || true`]);
    throw e;
  }
  return lab;
}
