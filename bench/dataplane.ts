// Data-plane benchmark: what one tunnel carries, beside what the same machine carries without the
// product and without IPsec, measured in one run so the ratios mean something.
//
// Run (root; PostgreSQL and Redis running for the product leg; iperf3 from Debian's package):
//   npx tsc -p tsconfig.build.json && node dist/bench/dataplane.js > dataplane.json
//
// Prints ONE JSON object on stdout; progress goes to stderr. Every run is one TCP stream of iperf3
// for BENCH_SECONDS (10), the receiver's rate. The product's tunnels are set up first and held;
// then BENCH_REPEATS (3) rounds each run every path of a proposal once, one after the other (the
// order reversed every other round), so that a load moving under the bench moves under every path
// alike. A figure is the median of its rounds (`best` and `runs` beside it). Paths:
//  - veth: host A -> router A -> router B -> host B, plain routing (four namespaces, no IPsec);
//  - bare/<esp>: the same namespaces with a charon in each router (the gateway's own plugin list
//    and libipsec, connections loaded with swanctl, each charon in a session of its own as a
//    daemon runs), one per ESP proposal of BENCH_BARE_ESP
//    ("aes128-sha1,aes128gcm16"), their ESP-in-UDP on one veth between the routers;
//  - bareThroughRouter/<esp>: the same pair with its ESP-in-UDP routed through a fifth namespace
//    built like the lab's internet (a bridge holding each public /24's .1, forwarding between them),
//    the network the product's tunnel crosses. On one machine that hop's forwarding runs inline in
//    the sending charon's sendmsg and is charged to it: this baseline shows what the lab's network
//    costs, apart from what the product costs;
//  - product/<esp>: a VPC instance -> the product's gateway -> the lab internet -> a lab site built
//    from the downloaded remote config -> the site's host, one tunnel (and site) per ESP proposal of
//    BENCH_PRODUCT_ESP (the same as BENCH_BARE_ESP by default; aes128-sha1 is the default IPsec
//    policy, aes128gcm16 a policy with encryptionAlgorithm aes128gcm16), unless BENCH_SKIP_PRODUCT=1.
// ratio = product / bare with the same ESP proposal, the median of the rounds' ratios (each round's
// in ratio.perRound; ratio.productOverBare is the default proposal's, ratio.perProposal each
// one's; ratio.sameNetwork the same against bareThroughRouter).
// Also: the load average, each charon's CPU share and its CPU per 100 MB carried (cpuMsPer100MB:
// what a core pays per byte, which load on a shared machine disturbs less than the rate does), and
// its threads' context switches per TUN packet (switchesPerTunPacket: what that cost follows).
// Diagnostics (off by default): BENCH_PRODUCT_VARIANTS=1 (above); BENCH_PRODUCT_RESPONSE_ONLY=1
// creates the tunnels response-only (the gateway never initiates: one IKE_SA and one CHILD_SA per
// tunnel instead of the two a both-ends initiation leaves); BENCH_SYSCALLS=1 counts each charon's
// system calls by name during every stream (`perf stat` on syscall tracepoints) and logs them per
// TUN packet: futex calls per packet are how often libipsec's queues handed a packet to a sleeping thread.
// Exit status 0 measured (the 90 % target is reported, not enforced), 1 failure.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { basename, dirname, join } from 'path';
import { splitConfigBundle } from '../lab/config-bundle';
import { charonPaths, charonPlugins, renderCharonConf } from '../src/negotiation/host/charon-config';
import { LabNames } from '../lab/lab-names';
import { BenchProduct } from './support/bench-product';
import { num } from './support/bench-env';
import { cpuSnapshot, CpuSnapshot, cpuSpent, round } from './support/proc-stats';
import { checkBuild } from './support/server';

const env = process.env;
const SECONDS = num('BENCH_SECONDS', 10);
const REPEATS = num('BENCH_REPEATS', 3);
const BARE_ESP = (env.BENCH_BARE_ESP ?? 'aes128-sha1,aes128gcm16').split(',').filter(Boolean);
const PRODUCT_ESP = (env.BENCH_PRODUCT_ESP ?? BARE_ESP.join(',')).split(',').filter(Boolean);
const DEFAULT_ESP = 'aes128-sha1';
// The product's IPsec policy for each proposal the bench knows (IKEv2, the default IKE policy).
const PRODUCT_POLICIES: Record<string, Record<string, string> | undefined> = {
  'aes128-sha1': undefined, // the default IPsec policy
  aes128gcm16: { encryptionAlgorithm: 'aes128gcm16' },
  'aes256-sha256': { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha256' },
  aes256gcm16: { encryptionAlgorithm: 'aes256gcm16' },
};
const CHARON = '/usr/lib/ipsec/charon';
const TARGET_RATIO = 0.9;
const tag = Math.random().toString(36).slice(2, 7);
const NS = { hostA: `dpha-${tag}`, routerA: `dpra-${tag}`, routerB: `dprb-${tag}`, hostB: `dphb-${tag}`, internet: `dpin-${tag}` };

const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
const children: ChildProcess[] = [];
const dirs: string[] = [];

function ensureIperf(): void {
  try {
    sh('iperf3', ['--version']);
  } catch {
    log('installing iperf3 (Debian package)');
    sh('apt-get', ['install', '-y', '-q', 'iperf3']);
  }
}

/** One iperf3 TCP stream from `clientNs` to `server` (an iperf3 -s runs in `serverNs`); bits/s and bytes received. */
async function iperf(clientNs: string, serverNs: string, server: string, clientArgs: string[] = []): Promise<{ bps: number; bytes: number; mss?: number }> {
  const srv = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', server], { stdio: 'ignore' });
  children.push(srv);
  await sleep(300);
  try {
    const out = inNs(clientNs, ['iperf3', '-c', server, '-t', String(SECONDS), '-J', ...clientArgs]);
    const result = JSON.parse(out) as {
      start?: { tcp_mss_default?: number };
      end?: { sum_received?: { bits_per_second?: number; bytes?: number } };
      error?: string;
    };
    if (result.error || !result.end?.sum_received?.bits_per_second) throw new Error(`iperf3: ${result.error ?? out.slice(0, 300)}`);
    return { bps: result.end.sum_received.bits_per_second, bytes: result.end.sum_received.bytes ?? 0, mss: result.start?.tcp_mss_default };
  } finally {
    srv.kill('SIGKILL');
  }
}

/** One iperf3 stream with what the charons and the TUN did meanwhile. */
interface Run {
  bps: number;
  bytes: number;
  mss?: number;
  wall: number;
  /** Per role: CPU seconds and context switches of the charon during the stream. */
  cpu: Record<string, number | null>;
  switches: Record<string, number | null>;
  tun?: { packets: number; bytes: number };
  cores: Record<string, number>;
  /** CPU seconds of other processes of interest (the product's worker and API) during the stream. */
  othersCpu: Record<string, number | null>;
}

interface Figure {
  /** The median of the rounds' rates (Mbit/s): what the ratios use. */
  mbitPerSecond: number;
  best: number;
  runs: number[];
  /** Per charon (by role): its CPU share over the runs (100 = one core) and CPU ms per 100 MB carried. */
  charons?: Record<string, { cpuPercent: number | null; cpuMsPer100MB: number | null; switchesPerTunPacket?: number }>;
  /** The sender's TCP MSS (iperf3) and the packets libipsec's TUN device on the sending side took: how big a packet each ESP packet carried. */
  senderMss?: number;
  tun?: { packets: number; bytesPerPacket: number };
  /** Cores each command name used meanwhile on the whole machine (other runs included), mean of the runs: who competed. */
  coresByCommand?: Record<string, number>;
  /** The product's own processes' share of a core meanwhile (100 = one core): what they took from the charons. */
  productProcessesCpuPercent?: Record<string, number | null>;
}

/** Who took the machine's CPU between two snapshots: the top commands, in cores. */
function cpuShares(before: CpuSnapshot, after: CpuSnapshot, wallSeconds: number): Record<string, number> {
  const used = Object.entries(cpuSpent(before, after).byLabel)
    .map(([comm, s]) => [comm, s / wallSeconds] as const)
    .filter(([, c]) => c >= 0.02);
  return Object.fromEntries(used.slice(0, 8).map(([comm, c]) => [comm, round(c, 2)]));
}

/** tx+rx packets and bytes of a device in a namespace (libipsec's TUN: what charon read and wrote). */
function linkCounters(ns: string, dev: string): { packets: number; bytes: number } | null {
  try {
    const [link] = JSON.parse(sh('ip', ['-n', ns, '-j', '-s', 'link', 'show', 'dev', dev])) as {
      stats64: Record<'rx' | 'tx', { packets: number; bytes: number }>;
    }[];
    const { rx, tx } = link.stats64;
    return { packets: rx.packets + tx.packets, bytes: rx.bytes + tx.bytes };
  } catch {
    return null;
  }
}

const TRACED_SYSCALLS = [
  'futex',
  'poll',
  'ppoll',
  'select',
  'pselect6',
  'epoll_wait',
  'read',
  'write',
  'readv',
  'writev',
  'recvfrom',
  'recvmsg',
  'sendto',
  'sendmsg',
  'ioctl',
];

/** BENCH_SYSCALLS=1 (diagnostic): counts a process's system calls by name with `perf stat` while a stream runs. */
function startSyscallCount(role: string, pid: number | null): { stop: () => Promise<Record<string, number>> } | null {
  if (!pid) return null;
  const file = join(tmpdir(), `dataplane-syscalls-${tag}-${role}.csv`);
  const events = TRACED_SYSCALLS.map((n) => `syscalls:sys_enter_${n}`).join(',');
  const p = spawn('perf', ['stat', '-x', ',', '-o', file, '-e', events, '-p', String(pid)], { stdio: 'ignore' });
  return {
    stop: async () => {
      p.kill('SIGINT');
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
      const counts: Record<string, number> = {};
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [value, , event] = line.split(',');
        const m = /sys_enter_(\w+)/.exec(event ?? '');
        if (m && /^\d+$/.test(value)) counts[m[1]] = Number(value);
      }
      rmSync(file, { force: true });
      return counts;
    },
  };
}

/** One stream of `run`; with `charons` (role -> pid) their CPU and context switches, with `tun` its packets. */
async function measureRun(
  what: string,
  run: () => Promise<{ bps: number; bytes: number; mss?: number }>,
  charons: Record<string, number | null> = {},
  tun?: { ns: string; dev: string },
  others: Record<string, number | null> = {},
): Promise<Run> {
  const roles = Object.entries(charons);
  const othersBefore = Object.entries(others).map(([, pid]) => cpuSeconds(pid));
  const cpuBefore = roles.map(([, pid]) => cpuSeconds(pid));
  const switchesBefore = roles.map(([, pid]) => contextSwitches(pid));
  const tunBefore = tun ? linkCounters(tun.ns, tun.dev) : null;
  const machineBefore = cpuSnapshot();
  const tracers = env.BENCH_SYSCALLS === '1' ? roles.map(([role, pid]) => startSyscallCount(role, pid)) : [];
  const t0 = Date.now();
  const r = await run();
  const syscalls = await Promise.all(tracers.map((t) => t?.stop()));
  const wall = (Date.now() - t0) / 1000;
  const tunAfter = tun ? linkCounters(tun.ns, tun.dev) : null;
  // Exited processes (iperf3) drop out of the snapshot: this is who else was running meanwhile.
  const cores = cpuShares(machineBefore, cpuSnapshot(), wall);
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const out: Run = {
    ...r,
    wall,
    cpu: Object.fromEntries(roles.map(([role, pid], i) => [role, delta(cpuBefore[i], cpuSeconds(pid))])),
    switches: Object.fromEntries(roles.map(([role, pid], i) => [role, delta(switchesBefore[i], contextSwitches(pid))])),
    ...(tunBefore && tunAfter ? { tun: { packets: tunAfter.packets - tunBefore.packets, bytes: tunAfter.bytes - tunBefore.bytes } } : {}),
    cores,
    othersCpu: Object.fromEntries(Object.entries(others).map(([role, pid], i) => [role, delta(othersBefore[i], cpuSeconds(pid))])),
  };
  const cpuText = roles
    .map(([role]) => {
      const c = out.cpu[role];
      const sw = out.switches[role];
      const perPacket = sw !== null && out.tun?.packets ? round(sw / out.tun.packets, 2) : '-';
      return `${role} ${c === null ? '-' : round((100 * c) / wall, 0)}% ${c === null || !r.bytes ? '-' : round((c * 1000) / (r.bytes / 1e8), 0)} ms/100MB ${perPacket} switches/TUN packet`;
    })
    .join(', ');
  for (const [i, [role]] of roles.entries()) {
    const counts = syscalls[i];
    if (!counts || !out.tun?.packets) continue;
    const perPacket = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${round(n / out.tun!.packets, 2)}`)
      .join(', ');
    log(`  ${role}: syscalls per TUN packet: ${perPacket}`);
  }
  const othersText = Object.entries(out.othersCpu)
    .map(([role, c]) => `${role} ${c === null ? '-' : round((100 * c) / wall, 1)}%`)
    .join(', ');
  log(
    `${what}: ${round(r.bps / 1e6, 1)} Mbit/s${cpuText ? ` (${cpuText})` : ''}${othersText ? `; ${othersText}` : ''}; cores by command: ${JSON.stringify(cores)}`,
  );
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The runs of one path, summed: median and best rate, each charon's CPU per byte over all of them. */
function summarize(runs: Run[]): Figure {
  const rates = runs.map((r) => round(r.bps / 1e6, 1));
  const bytes = runs.reduce((a, r) => a + r.bytes, 0);
  const wall = runs.reduce((a, r) => a + r.wall, 0);
  const tunPackets = runs.every((r) => r.tun) ? runs.reduce((a, r) => a + r.tun!.packets, 0) : 0;
  const tunBytes = runs.reduce((a, r) => a + (r.tun?.bytes ?? 0), 0);
  const roles = Object.keys(runs[0]?.cpu ?? {});
  const sum = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x as number), 0));
  const charons: Figure['charons'] = {};
  for (const role of roles) {
    const cpu = sum(runs.map((r) => r.cpu[role]));
    const sw = sum(runs.map((r) => r.switches[role]));
    charons[role] = {
      cpuPercent: cpu === null ? null : round((100 * cpu) / wall, 0),
      cpuMsPer100MB: cpu === null || bytes === 0 ? null : round((cpu * 1000) / (bytes / 1e8), 0),
      ...(sw !== null && tunPackets ? { switchesPerTunPacket: round(sw / tunPackets, 2) } : {}),
    };
  }
  const cores: Record<string, number> = {};
  for (const r of runs) for (const [comm, c] of Object.entries(r.cores)) cores[comm] = (cores[comm] ?? 0) + c / runs.length;
  const mss = runs.find((r) => r.mss)?.mss;
  const others = Object.keys(runs[0]?.othersCpu ?? {});
  const othersCpu = Object.fromEntries(
    others.map((role) => {
      const cpu = sum(runs.map((r) => r.othersCpu[role]));
      return [role, cpu === null ? null : round((100 * cpu) / wall, 1)];
    }),
  );
  return {
    mbitPerSecond: round(median(rates), 1),
    best: Math.max(...rates),
    runs: rates,
    ...(roles.length ? { charons } : {}),
    ...(mss ? { senderMss: mss } : {}),
    ...(tunPackets ? { tun: { packets: tunPackets, bytesPerPacket: round(tunBytes / tunPackets, 0) } } : {}),
    coresByCommand: Object.fromEntries(Object.entries(cores).map(([k, v]) => [k, round(v, 2)])),
    ...(others.length ? { productProcessesCpuPercent: othersCpu } : {}),
  };
}

// --- hostA 10.201.0.10 - routerA - 192.0.2.1/.2 - routerB - hostB 10.202.0.10, and the routers'
// second way to each other: routerA 198.51.100.2 - internet (bridge, .1 of both) - 203.0.113.2 routerB
function buildNamespaces(): void {
  for (const ns of Object.values(NS)) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  let links = 0;
  /** A veth pair from a to b; without bIp, b's end is a port of b's bridge `inet0`. */
  const veth = (a: string, aIp: string, b: string, bIp?: string) => {
    links++;
    const ia = `v${tag}${links}a`;
    const ib = `v${tag}${links}b`;
    sh('ip', ['-n', a, 'link', 'add', ia, 'type', 'veth', 'peer', 'name', ib, 'netns', b]);
    sh('ip', ['-n', a, 'addr', 'add', aIp, 'dev', ia]);
    sh('ip', ['-n', b, ...(bIp ? ['addr', 'add', bIp, 'dev', ib] : ['link', 'set', ib, 'master', 'inet0'])]);
    sh('ip', ['-n', a, 'link', 'set', ia, 'up']);
    sh('ip', ['-n', b, 'link', 'set', ib, 'up']);
  };
  veth(NS.hostA, '10.201.0.10/24', NS.routerA, '10.201.0.1/24');
  veth(NS.routerA, '192.0.2.1/24', NS.routerB, '192.0.2.2/24');
  veth(NS.routerB, '10.202.0.1/24', NS.hostB, '10.202.0.10/24');
  // Like the lab's internet: one bridge with both routers' gateway addresses, routing between them.
  sh('ip', ['-n', NS.internet, 'link', 'add', 'inet0', 'type', 'bridge']);
  sh('ip', ['-n', NS.internet, 'addr', 'add', '198.51.100.1/24', 'dev', 'inet0']);
  sh('ip', ['-n', NS.internet, 'addr', 'add', '203.0.113.1/24', 'dev', 'inet0']);
  sh('ip', ['-n', NS.internet, 'link', 'set', 'inet0', 'up']);
  veth(NS.routerA, '198.51.100.2/24', NS.internet);
  veth(NS.routerB, '203.0.113.2/24', NS.internet);
  sh('ip', ['-n', NS.routerA, 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.1']);
  sh('ip', ['-n', NS.routerB, 'route', 'add', '198.51.100.0/24', 'via', '203.0.113.1']);
  sh('ip', ['-n', NS.hostA, 'route', 'add', 'default', 'via', '10.201.0.1']);
  sh('ip', ['-n', NS.hostB, 'route', 'add', 'default', 'via', '10.202.0.1']);
  for (const r of [NS.routerA, NS.routerB, NS.internet]) inNs(r, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

function plainRoutes(op: 'add' | 'del'): void {
  sh('ip', ['-n', NS.routerA, 'route', op, '10.202.0.0/24', 'via', '192.0.2.2']);
  sh('ip', ['-n', NS.routerB, 'route', op, '10.201.0.0/24', 'via', '192.0.2.1']);
}

interface BareCharon {
  child: ChildProcess;
  dir: string;
  uri: string;
  pid: () => number | null;
}

/**
 * BENCH_BARE_VARIANTS (diagnostic, comma-separated), extra bare paths on the one veth:
 * `gatewayConf` runs the sending charon with the gateway's own rendered strongswan.conf
 * (renderCharonConf: threads, retransmission, log, install_routes = no with the route added as
 * the worker does); `productParams` gives both ends the product tunnel's negotiated parameters
 * (IKE and ESP with MODP1024 PFS, DPD every 8 s) and rekeys the CHILD_SA once after the initiate,
 * as the product's connect-time PFS check does.
 */
type BareVariant = 'plain' | 'gatewayConf' | 'productParams';
const BARE_VARIANTS = (env.BENCH_BARE_VARIANTS ?? '').split(',').filter(Boolean) as BareVariant[];

async function startBareCharon(ns: string, side: 'a' | 'b', variant: BareVariant = 'plain'): Promise<BareCharon> {
  const dir = mkdtempSync(join(tmpdir(), `dataplane-${side}-`));
  dirs.push(dir);
  if (variant === 'gatewayConf' && side === 'a') {
    writeFileSync(join(dir, 'strongswan.conf'), renderCharonConf({ gatewayId: 'bench', paths: charonPaths(dirname(dir), basename(dir)) }));
  } else
    writeFileSync(
      // The gateway's plugin list, in its order; routes into libipsec's TUN installed by charon here
      // (the worker installs them itself on a gateway: same routes, same table).
      join(dir, 'strongswan.conf'),
      `charon {
  load = ${charonPlugins('libipsec').join(' ')}
  install_routes = yes
  filelog { main { path = ${dir}/charon.log
    default = 1 } }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    vici { load = yes
      socket = unix://${dir}/charon.vici } }
}
`,
    );
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-c', `mount -t tmpfs none /var/run && STRONGSWAN_CONF=${dir}/strongswan.conf exec ${CHARON}`],
    // In a session of its own, as every daemon runs (systemd starts a service with setsid) and as
    // the worker starts a gateway's charon and the lab a site's: with the kernel's autogroups (on
    // by default) a session is a scheduling group, and a charon sharing the bench's session with
    // both iperf3 ends is scheduled unlike any deployed one (docs/operations.md, data plane).
    // BENCH_BARE_SHARED_SESSION=1 keeps them in the bench's session, as before 2026-12-06 12:00.
    { stdio: 'ignore', detached: env.BENCH_BARE_SHARED_SESSION !== '1' },
  );
  children.push(child);
  const uri = `unix://${dir}/charon.vici`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      sh('swanctl', ['--stats', '--uri', uri]);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`charon in ${ns} did not answer on ${uri}`);
      await sleep(100);
    }
  }
  // `ip netns exec`, `unshare` (no --fork) and `sh -c 'exec'` each exec: the child is charon.
  const pid = () => (child.exitCode === null ? (child.pid ?? null) : null);
  return { child, dir, uri, pid };
}

/** The routers' public addresses (a, b): on the veth between them, or on each side of the internet namespace. */
const BARE_NETWORKS = { direct: ['192.0.2.1', '192.0.2.2'], throughRouter: ['198.51.100.2', '203.0.113.2'] } as const;
type BareNetwork = keyof typeof BARE_NETWORKS;

function loadBareConnection(c: BareCharon, side: 'a' | 'b', esp: string, network: BareNetwork, productParams = false): void {
  const [ipA, ipB] = BARE_NETWORKS[network];
  loadBareConnectionAt(c, side, esp, { ipA, ipB, subnetA: '10.201.0.0/24', subnetB: '10.202.0.0/24' }, productParams);
}

/** The bare pair's connection between any two addresses and subnets (side a initiates). */
function loadBareConnectionAt(
  c: BareCharon,
  side: 'a' | 'b',
  esp: string,
  at: { ipA: string; ipB: string; subnetA: string; subnetB: string },
  productParams = false,
): void {
  const { ipA, ipB } = at;
  const [me, peer] = side === 'a' ? [ipA, ipB] : [ipB, ipA];
  const [mine, theirs] = side === 'a' ? [at.subnetA, at.subnetB] : [at.subnetB, at.subnetA];
  const file = join(c.dir, 'swanctl.conf');
  writeFileSync(
    file,
    `connections {
  dp {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    proposals = aes128-sha1-${productParams ? 'modp1024' : 'modp2048'}
    mobike = no${productParams ? '\n    dpd_delay = 8s' : ''}
    local { auth = psk
      id = ${me} }
    remote { auth = psk
      id = ${peer} }
    children { dp {
      local_ts = ${mine}
      remote_ts = ${theirs}
      esp_proposals = ${productParams ? `${esp}-modp1024` : esp}
      start_action = none } }
  }
}
secrets { ike-dp { id-a = ${ipA}
  id-b = ${ipB}
  secret = "dataplane-bench-only" } }
`,
  );
  sh('swanctl', ['--load-all', '--file', file, '--uri', c.uri]);
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number | null): number | null {
  if (!pid) return null;
  try {
    const f = sh('cat', [`/proc/${pid}/stat`])
      .split(') ')[1]
      .split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Context switches (voluntary and not) of all a process's threads so far. libipsec hands every
 * packet between threads through queues: how often they sleep per packet moves its CPU per byte
 * more than anything else on the path (quiet against loaded machine, one run against the next).
 */
function contextSwitches(pid: number | null): number | null {
  if (!pid) return null;
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const m of readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').matchAll(/ctxt_switches:\s+(\d+)/g)) total += Number(m[1]);
    }
    return total;
  } catch {
    return null;
  }
}

/** One stream through a fresh bare charon pair with `esp` over `network` (started, initiated, stopped). */
async function bareRun(esp: string, network: BareNetwork, variant: BareVariant = 'plain'): Promise<Run> {
  const a = await startBareCharon(NS.routerA, 'a', variant);
  const b = await startBareCharon(NS.routerB, 'b', variant);
  try {
    loadBareConnection(a, 'a', esp, network, variant === 'productParams');
    loadBareConnection(b, 'b', esp, network, variant === 'productParams');
    sh('swanctl', ['--initiate', '--child', 'dp', '--uri', a.uri, '--timeout', '10']);
    if (variant === 'gatewayConf') sh('ip', ['-n', NS.routerA, 'route', 'replace', '10.202.0.0/24', 'dev', 'ipsec0']);
    if (variant === 'productParams') {
      sh('swanctl', ['--rekey', '--child', 'dp', '--uri', a.uri]);
      await sleep(1500);
    }
    return await measureRun(
      `bare ${esp} (${network}${variant === 'plain' ? '' : `, ${variant}`})`,
      () => iperf(NS.hostA, NS.hostB, '10.202.0.10'),
      { sender: a.pid(), receiver: b.pid() },
      { ns: NS.routerA, dev: 'ipsec0' },
    );
  } finally {
    for (const c of [a, b]) {
      c.child.kill('SIGKILL');
      await new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)));
    }
  }
}

/** The pid of the charon in a namespace (the lab site's, started by its starter), or null. */
function charonIn(ns: string): number | null {
  const pids = sh('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      if (sh('cat', [`/proc/${pid}/comm`]).trim() === 'charon') return Number(pid);
    } catch {
      /* gone */
    }
  }
  return null;
}

interface ProductTunnel {
  esp: string;
  /** The policy the tunnel was created with, as the JSON says it. */
  policy: string;
  /**
   * BENCH_BARE_IN_PRODUCT=1 (diagnostic, destructive, run last): stops the worker, the gateway's
   * and the site's charons, starts the bare pair's charons in their namespaces with the bare
   * connection between the same addresses and subnets, and returns a stream through them.
   */
  swapToBare?: () => Promise<() => Promise<Run>>;
  /** By path: one stream through the tunnel (`product`, and with BENCH_PRODUCT_VARIANTS=1 `productFromGateway`, `productReverse`). */
  runs: Record<string, () => Promise<Run>>;
}

/**
 * The product with one gateway and one tunnel (and lab site) per proposal of PRODUCT_ESP, every
 * tunnel connected and pinged, held up for the rounds: each `run` is one stream through it.
 */
async function setUpProduct(product: BenchProduct, labPrefix: string): Promise<ProductTunnel[]> {
  const out: ProductTunnel[] = [];
  await product.start();
  await product.startWorker();
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const eips = await product.ok('GET', '/api/v1/external-ips?limit=100');
  const eip = eips.items.find((e: { boundTo?: unknown }) => !e.boundTo);
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'dp-gw',
    machineTypeId: inv.machineType.id,
    vpcId: vpc.id,
    subnetId: vpc.subnets[0].id,
    externalIpId: eip.id,
    chargeType: 'hourly',
  });
  await product.waitFor(async () => (await product.ok('GET', `/api/v1/vpn-gateways/${gw.id}`)).resourceState === 'running', 60_000, 'gateway running');
  const names = new LabNames(labPrefix);
  const vm = names.instanceNamespace('vm-a1');
  const gatewayCharon = () => {
    try {
      return Number(sh('cat', [join(product.gatewaysDir, gw.id, 'charon.pid')]).trim()) || null;
    } catch {
      return null;
    }
  };
  // One tunnel and one lab site per proposal, on the same gateway, all held up for the rounds.
  for (const [i, esp] of PRODUCT_ESP.entries()) {
    if (!(esp in PRODUCT_POLICIES))
      throw new Error(`BENCH_PRODUCT_ESP: no product IPsec policy known for '${esp}' (known: ${Object.keys(PRODUCT_POLICIES).join(', ')})`);
    const policy = PRODUCT_POLICIES[esp];
    const siteName = `dp${i}`;
    const siteIp = `203.0.113.${77 + i}`;
    const siteSubnet = `172.16.${77 + i}.0/24`;
    const siteHostIp = `172.16.${77 + i}.10`;
    const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: `dp-site-${i}`, ipAddress: siteIp });
    const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
      name: `dp-${i}`,
      gatewayId: gw.id,
      peerId: peer.id,
      localSubnetIds: [vpc.subnets[0].id],
      remoteCidrs: [siteSubnet],
      psk: 'dataplane.Bench-1',
      ...(env.BENCH_PRODUCT_RESPONSE_ONLY === '1' ? { initiatorMode: 'response-only' } : {}),
      ...(policy ? { ipsecPolicy: policy } : {}),
    });
    const download = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?side=remote`);
    const { conf, secrets } = splitConfigBundle(download.text);
    await product.lab.addSite({ name: siteName, publicIp: siteIp, subnet: siteSubnet, conf, secrets });
    await product.waitFor(
      async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).connectionState === 'connected',
      60_000,
      `tunnel ${esp} connected`,
    );
    await product.waitFor(
      async () => {
        try {
          inNs(vm, ['ping', '-c', '1', '-W', '1', siteHostIp]);
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      `a ping from vm-a1 to the ${esp} site's host`,
    );
    const gatewayCharonAndSite = () => ({ gateway: gatewayCharon(), site: charonIn(names.siteRouterNamespace(siteName)) });
    const tun = { ns: product.gatewayNamespace(gw.id), dev: 'ipsec0' };
    const productProcesses = () => ({ worker: product.workerPid, api: product.apiPid });
    const stream =
      (what: string, clientArgs: string[], clientNs = vm) =>
      () =>
        measureRun(what, () => iperf(clientNs, names.siteHostNamespace(siteName), siteHostIp, clientArgs), gatewayCharonAndSite(), tun, productProcesses());
    const swapToBare = async () => {
      product.killWorker('SIGKILL');
      const site = charonIn(names.siteRouterNamespace(siteName));
      // The site's starter restarts a charon that dies: it goes first.
      const starter = site ? Number(readFileSync(`/proc/${site}/stat`, 'utf8').split(') ')[1].split(' ')[1]) : null;
      for (const pid of [starter, site, gatewayCharon()]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await sleep(1000);
      const a = await startBareCharon(product.gatewayNamespace(gw.id), 'a');
      const b = await startBareCharon(names.siteRouterNamespace(siteName), 'b');
      const at = { ipA: eip.address as string, ipB: siteIp, subnetA: vpc.subnets[0].cidr as string, subnetB: siteSubnet };
      loadBareConnectionAt(a, 'a', esp, at);
      loadBareConnectionAt(b, 'b', esp, at);
      sh('swanctl', ['--initiate', '--child', 'dp', '--uri', a.uri, '--timeout', '10']);
      // The product's routes into its TUN went with its charon; the bare pair's own go to table 220.
      // The VPC's traffic (iif of the subnet) is looked up in the gateway's table 252, whose default is unreachable.
      sh('ip', ['-n', product.gatewayNamespace(gw.id), 'route', 'replace', siteSubnet, 'dev', 'ipsec0', 'table', '252']);
      sh('ip', ['-n', names.siteRouterNamespace(siteName), 'route', 'replace', at.subnetA, 'dev', 'ipsec0']);
      return () =>
        measureRun(
          `bare charons in the product's namespaces ${esp}`,
          () => iperf(vm, names.siteHostNamespace(siteName), siteHostIp),
          { gateway: a.pid(), site: b.pid() },
          tun,
        );
    };
    out.push({
      esp,
      ...(env.BENCH_BARE_IN_PRODUCT === '1' ? { swapToBare } : {}),
      policy: policy ? `${esp} (IPsec policy ${JSON.stringify(policy)})` : `${esp} (the default IPsec policy)`,
      runs: {
        product: stream(`product ${esp}`, []),
        // Diagnostics: without the VPC hop (from the gateway's own address in the subnet), and
        // the other way round (the site's host sends, the gateway's charon receives).
        ...(env.BENCH_PRODUCT_VARIANTS === '1'
          ? {
              productFromGateway: stream(`product ${esp} from the gateway`, ['-B', gw.privateIp], product.gatewayNamespace(gw.id)),
              productReverse: stream(`product ${esp} reversed`, ['-R']),
            }
          : {}),
      },
    });
  }
  return out;
}

async function main(): Promise<void> {
  checkBuild();
  ensureIperf();
  const startedAt = new Date().toISOString();
  const out: Record<string, unknown> = {
    bench: 'dataplane',
    startedAt,
    machine: { cpus: cpus().length, loadAvg1mAtStart: round(loadavg()[0], 2) },
    seconds: SECONDS,
    repeats: REPEATS,
  };
  const prefix = `dp${tag.slice(0, 5)}`;
  const product = env.BENCH_SKIP_PRODUCT === '1' ? null : new BenchProduct({ labPrefix: prefix, dirPrefix: 'dataplane-bench-', dbPrefix: 'vpn_bench_dp_' });
  const runs = new Map<string, Run[]>();
  const add = (path: string, r: Run) => runs.set(path, [...(runs.get(path) ?? []), r]);
  try {
    buildNamespaces();
    plainRoutes('add');
    out.veth = summarize([await measureRun('veth', () => iperf(NS.hostA, NS.hostB, '10.202.0.10'))]);
    plainRoutes('del');
    const tunnels = product ? await setUpProduct(product, prefix) : [];
    // Interleaved rounds: every path of a proposal once per round, the order reversed every other
    // round, so that the load moving under a run moves under every path alike and each round's
    // ratio compares streams measured within the same minute.
    for (let round_ = 0; round_ < REPEATS; round_++) {
      for (const esp of [...new Set([...BARE_ESP, ...PRODUCT_ESP])]) {
        const legs: [string, () => Promise<Run>][] = [];
        if (BARE_ESP.includes(esp)) for (const n of Object.keys(BARE_NETWORKS) as BareNetwork[]) legs.push([`${n}/${esp}`, () => bareRun(esp, n)]);
        if (BARE_ESP.includes(esp)) for (const v of BARE_VARIANTS) legs.push([`direct+${v}/${esp}`, () => bareRun(esp, 'direct', v)]);
        const tunnel = tunnels.find((t) => t.esp === esp);
        if (tunnel) for (const [kind, run] of Object.entries(tunnel.runs)) legs.push([`${kind}/${esp}`, run]);
        if (round_ % 2) legs.reverse();
        for (const [path, leg] of legs) add(path, await leg());
      }
    }
    const swap = tunnels.find((t) => t.swapToBare && t.esp === DEFAULT_ESP) ?? tunnels.find((t) => t.swapToBare);
    if (swap?.swapToBare) {
      const run = await swap.swapToBare();
      for (let i = 0; i < REPEATS; i++) {
        add(`bareInProduct/${swap.esp}`, await run());
        add(`direct/${swap.esp}`, await bareRun(swap.esp, 'direct'));
      }
    }
    const figures = (kind: string) =>
      Object.fromEntries([...runs].filter(([path]) => path.startsWith(`${kind}/`)).map(([path, r]) => [path.slice(kind.length + 1), summarize(r)]));
    out.bare = figures('direct');
    out.bareThroughRouter = figures('throughRouter');
    for (const kind of ['productFromGateway', 'productReverse', 'bareInProduct', ...BARE_VARIANTS.map((v) => `direct+${v}`)])
      if ([...runs.keys()].some((k) => k.startsWith(`${kind}/`))) out[kind] = figures(kind);
    if (product) {
      const productFigures = figures('product');
      out.product = Object.fromEntries(tunnels.map((t) => [t.esp, { esp: t.policy, ...productFigures[t.esp] }]));
      /** Per proposal: the median of the rounds' product / bare ratios, and each round's. */
      const ratios = (kind: string) => {
        const perProposal: Record<string, number> = {};
        const perRound: Record<string, number[]> = {};
        for (const t of tunnels) {
          const bare = runs.get(`${kind}/${t.esp}`);
          const prod = runs.get(`product/${t.esp}`);
          if (!bare || !prod) continue;
          perRound[t.esp] = prod.map((p, i) => round(p.bps / bare[i].bps, 2));
          perProposal[t.esp] = round(median(perRound[t.esp]), 2);
        }
        return { productOverBare: perProposal[DEFAULT_ESP] ?? null, perProposal, perRound };
      };
      out.ratio = { ...ratios('direct'), target: TARGET_RATIO, sameNetwork: ratios('throughRouter') };
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const ns of Object.values(NS)) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* not created */
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await product?.stop();
  }
  out.machine = { ...(out.machine as object), loadAvg1mAtEnd: round(loadavg()[0], 2) };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
