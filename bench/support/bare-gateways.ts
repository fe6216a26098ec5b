// The cold start's baseline: the same gateways without the product. One namespace per gateway on
// the lab internet (the product's addresses, so the same mirror answers), a charon with the
// gateway's own strongswan.conf (plugin list, threads, retransmission), every tunnel in a
// swanctl.conf loaded with `swanctl --load-all` and brought up with `swanctl --initiate`, as many
// at a time per peer address as the product's worker allows itself (INITIATIONS_PER_PEER). The
// gateways are started (namespace, charon, --load-all) `startConcurrency` at a time, as the
// product's hosts provision theirs; a started gateway's initiations do not hold a start slot.
// Nothing else: no API, no PostgreSQL, no connect-time rekey check, no routes.
import { ChildProcess, execFile, spawn } from 'child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { IntervalHistogram, monitorEventLoopDelay } from 'perf_hooks';
import { join } from 'path';
import { INITIATIONS_PER_PEER } from '../../src/negotiation/gateway-negotiator';
import { KeyedLimiter } from '../../src/negotiation/keyed-mutex';
import { charonPaths, renderCharonConf } from '../../src/negotiation/host/charon-config';
import { ensureNamespace, removeNamespace } from '../../src/negotiation/host/gateway-namespace';
import { deleteLink, ipBatch } from '../../src/negotiation/host/ip-link';
import { LabNames } from '../../lab/lab-names';
import { isAlive, sleep, tailFile, terminate } from '../../src/negotiation/host/process-files';
import { viciVersion } from '../../src/negotiation/host/vici-probe';
import { childNames, connName, renderLoadConn, renderLoadShared } from '../../src/strongswan/vici-conn';
import { ViciSection } from '../../src/vici';
import { ikeInitRestarts, pool } from './proc-stats';
import { platformView, TunnelPlan } from './mirror';

const CHARON = '/usr/lib/ipsec/charon';
const LAUNCH = 'mount -t tmpfs none /var/run && STRONGSWAN_CONF="$1" exec "$2"';

/** A VICI message as swanctl.conf text (sections nest, lists are comma-separated, values quoted). */
export function swanctlConf(section: ViciSection, indent = ''): string {
  const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return Object.entries(section)
    .map(([k, v]) => {
      if (typeof v === 'string') return `${indent}${k} = ${quote(v)}\n`;
      if (Array.isArray(v)) return `${indent}${k} = ${quote(v.join(','))}\n`;
      return `${indent}${k} {\n${swanctlConf(v, `${indent}  `)}${indent}}\n`;
    })
    .join('');
}

function firstHost(cidr: string): string {
  const parts = cidr.split('/')[0].split('.').map(Number);
  parts[3] += 1;
  return parts.join('.');
}

function exec(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}` }),
    );
  });
}

function loopDelayMs(h: IntervalHistogram): { p50: number; p99: number; max: number } {
  h.disable();
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

export interface BareResult {
  gateways: number;
  tunnels: number;
  initiated: number;
  failed: number;
  /** From the first namespace to every `swanctl --initiate` answered. */
  seconds: number;
  /** When every charon answered VICI with its connections loaded. */
  allLoadedSeconds: number;
  /** Gateways started at a time (0: all at once). */
  startConcurrency: number;
  /** IKE_SA_INITs the mirror answered with a COOKIE first (proc-stats ikeInitRestarts). */
  ikeInitRestarts: number;
  /** Charons that went 30 s without answering the bench's VICI probe (diagnosed in the log). */
  slowToAnswer: number;
  /**
   * The bench's own event loop delay while it ran (ms): its VICI probes time out when the loop is
   * held longer than their 5 s (every child process is spawned on it), whatever charon does.
   */
  benchEventLoopDelayMs: { p50: number; p99: number; max: number };
  failureExamples: string[];
}

export class BareGateways {
  private readonly dir = mkdtempSync(join(tmpdir(), 'vpn-bench-bare-'));
  private readonly children: ChildProcess[] = [];
  private readonly namespaces: string[] = [];
  private readonly ports: string[] = [];
  private log: (msg: string) => void = () => undefined;
  /** Gateways whose charon went 30 s without answering the bench's VICI probe. */
  private readonly silent = new Set<number>();
  private loopDelay: IntervalHistogram | null = null;

  /** `routerOf`: a gateway address's router and prefix on the lab internet. */
  constructor(private readonly o: { names: LabNames; prefix: string; routerOf: (ip: string) => { router: string; prefixLength: number } }) {}

  /**
   * Brings up every gateway of `plans` (grouped by `g`), `startConcurrency` at a time (0: all at
   * once), and initiates every tunnel; resolves when all answered.
   */
  async run(plans: { plan: TunnelPlan; g: number }[], o: { startConcurrency?: number; log?: (msg: string) => void } = {}): Promise<BareResult> {
    this.log = o.log ?? this.log;
    const byGateway = new Map<number, TunnelPlan[]>();
    for (const { plan, g } of plans) byGateway.set(g, [...(byGateway.get(g) ?? []), plan]);
    const startConcurrency = o.startConcurrency ?? 0;
    const starts = new KeyedLimiter(startConcurrency > 0 ? startConcurrency : byGateway.size);
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    this.loopDelay = loopDelay;
    const t0 = performance.now();
    let lastLoaded = 0;
    let initiated = 0;
    const failures: string[] = [];
    await Promise.all(
      [...byGateway].map(async ([g, tunnels]) => {
        const uri = await starts.run('start', () => this.startGateway(g, tunnels));
        lastLoaded = Math.max(lastLoaded, performance.now() - t0);
        // The same pacing as the product: INITIATIONS_PER_PEER at a time towards one peer address.
        await pool(tunnels, INITIATIONS_PER_PEER, async (plan) => {
          const t = platformView(plan);
          for (const child of childNames(t)) {
            const r = await exec('swanctl', ['--initiate', '--uri', uri, '--ike', connName(t.id), '--child', child, '--timeout', '30'], 40_000);
            if (!r.ok) {
              failures.push(`${child}: ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
              return;
            }
            initiated++;
          }
        });
      }),
    );
    return {
      gateways: byGateway.size,
      tunnels: plans.length,
      initiated,
      failed: failures.length,
      seconds: Math.round(performance.now() - t0) / 1000,
      allLoadedSeconds: Math.round(lastLoaded) / 1000,
      startConcurrency,
      ikeInitRestarts: ikeInitRestarts(this.dir),
      slowToAnswer: this.silent.size,
      benchEventLoopDelayMs: loopDelayMs(loopDelay),
      failureExamples: failures.slice(0, 3),
    };
  }

  private async startGateway(g: number, tunnels: TunnelPlan[]): Promise<string> {
    const { names } = this.o;
    const ns = `${this.o.prefix}-bare-g${g}`;
    const port = `b${this.o.prefix}${g}`.slice(0, 15);
    this.namespaces.push(ns);
    this.ports.push(port);
    await ensureNamespace(ns);
    await ipBatch(null, [`link add eth0 netns ${ns} type veth peer name ${port} netns ${names.inetNamespace}`]);
    await ipBatch(names.inetNamespace, [`link set dev ${port} master ${names.inetBridge}`, `link set dev ${port} up`]);
    // libipsec wants an address of the host inside each local traffic selector (as the product's anchors).
    const locals = [...new Set(tunnels.map((t) => t.localCidr))].map((c) => `addr add ${firstHost(c)}/32 dev lo`);
    const { router, prefixLength } = this.o.routerOf(tunnels[0].gatewayIp);
    await ipBatch(ns, [
      `addr add ${tunnels[0].gatewayIp}/${prefixLength} dev eth0`,
      'link set dev eth0 up',
      ...locals,
      `route replace default via ${router} dev eth0`,
    ]);
    const id = `vpngw-bare${g}`;
    const paths = charonPaths(this.dir, id);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.conf, renderCharonConf({ gatewayId: id, paths }));
    const out = openSync(paths.output, 'a');
    let child: ChildProcess;
    try {
      child = spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', LAUNCH, 'sh', paths.conf, CHARON], {
        stdio: ['ignore', out, out],
        detached: true,
      });
      this.children.push(child);
    } finally {
      closeSync(out);
    }
    // Generous: charons start here beside other gateways' swanctl processes.
    const started = Date.now();
    const silent = this.silent;
    const deadline = started + 180_000;
    for (;;) {
      try {
        await viciVersion(paths.viciSocket, 5000);
        break;
      } catch (e) {
        if (!silent.has(g) && Date.now() - started > 30_000) {
          silent.add(g);
          // The first few only: gdb on dozens of charons at once would load the machine further.
          if (silent.size <= 3)
            this.log(`bare charon ${g} has not answered VICI for 30 s (${(e as Error).message}):\n${await this.diagnose(child.pid, paths)}`);
        }
        if (Date.now() > deadline) throw new Error(`bare charon ${g} did not answer VICI: ${(e as Error).message}`, { cause: e });
      }
      await sleep(50);
    }
    const conns: ViciSection = {};
    const secrets: ViciSection = {};
    tunnels.forEach((plan, i) => {
      const t = platformView(plan);
      Object.assign(conns, renderLoadConn(t, { keyingtries: 1 }));
      const s = renderLoadShared(t);
      const owners = s.owners as string[];
      secrets[`ike-${i}`] = { secret: s.data as string, ...Object.fromEntries(owners.map((o, k) => [`id-${k}`, o])) };
    });
    const file = join(paths.dir, 'swanctl.conf');
    writeFileSync(file, swanctlConf({ connections: conns, secrets }), { mode: 0o600 });
    const uri = `unix://${paths.viciSocket}`;
    const loaded = await exec('swanctl', ['--load-all', '--noprompt', '--file', file, '--uri', uri]);
    if (!loaded.ok) throw new Error(`swanctl --load-all for bare gateway ${g}: ${loaded.out}`);
    return uri;
  }

  /**
   * What a charon that does not answer VICI is doing: whether swanctl (another process) gets an
   * answer, its threads' states and kernel wait channels, its log's tail and, with gdb installed,
   * every thread's stack.
   */
  private async diagnose(pid: number | undefined, paths: { viciSocket: string; log: string; output: string }): Promise<string> {
    const d = this.loopDelay;
    const ms = (ns: number) => Math.round(ns / 1e6);
    const lines: string[] = [
      d ? `the bench's event loop delay so far: p50 ${ms(d.percentile(50))} ms, p99 ${ms(d.percentile(99))} ms, max ${ms(d.max)} ms` : '',
    ];
    const stats = await exec('swanctl', ['--stats', '--uri', `unix://${paths.viciSocket}`], 10_000);
    lines.push(`swanctl --stats: ${stats.ok ? 'answered' : `failed: ${stats.out.trim().split('\n').slice(-2).join(' | ')}`}`);
    if (pid) {
      try {
        const tasks = readdirSync(`/proc/${pid}/task`);
        const states = tasks.map((t) => {
          const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
          const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
          return `${state}:${readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8')}`;
        });
        const counts = new Map<string, number>();
        for (const x of states) counts.set(x, (counts.get(x) ?? 0) + 1);
        lines.push(
          `pid ${pid} (${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}): ${tasks.length} threads, ${[...counts].map(([k, n]) => `${n}x ${k}`).join(', ')}`,
        );
      } catch (e) {
        lines.push(`pid ${pid}: ${(e as Error).message}`);
      }
      const gdb = await exec('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 12'], 60_000);
      if (gdb.out)
        lines.push(
          gdb.out
            .split('\n')
            .filter((l) => /^(Thread|#)/.test(l))
            .join('\n'),
        );
    }
    lines.push(`charon.out: ${tailFile(paths.output, 5)}`, `charon.log: ${tailFile(paths.log, 15)}`);
    return lines.join('\n');
  }

  /** Stops the charons (their SAs are deleted at the mirror), removes namespaces, ports and files. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.pid && isAlive(c.pid)) await terminate(c.pid, 5000);
      }),
    );
    await Promise.all(this.ports.map((p) => deleteLink(this.o.names.inetNamespace, p).catch(() => undefined)));
    await Promise.all(this.namespaces.map((n) => removeNamespace(n, { killProcesses: true }).catch(() => undefined)));
    if (!process.env.KEEP_BENCH_DIR) rmSync(this.dir, { recursive: true, force: true });
  }
}
