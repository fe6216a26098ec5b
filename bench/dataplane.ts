// Data-plane benchmark: what one tunnel carries, beside what the same machine carries without the
// product and without IPsec, measured in one run so the ratios mean something.
//
// Run (root; PostgreSQL and Redis running for the product leg; iperf3 from Debian's package):
//   npx tsc -p tsconfig.build.json && node dist/bench/dataplane.js > dataplane.json
//
// Prints ONE JSON object on stdout; progress goes to stderr. Every figure is one TCP stream of
// iperf3 for BENCH_SECONDS (10), the receiver's rate, best of BENCH_REPEATS (2). Paths:
//  - veth: host A -> router A -> router B -> host B, plain routing (four namespaces, no IPsec);
//  - bare/<esp>: the same namespaces with a charon in each router (the gateway's own plugin list
//    and libipsec, connections loaded with swanctl), one per ESP proposal of BENCH_BARE_ESP
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
// ratio = product / bare with the same ESP proposal (ratio.productOverBare is the default
// proposal's, ratio.perProposal each one's; ratio.sameNetwork the same against bareThroughRouter).
// Also: the load average, each charon's CPU share and its CPU per 100 MB carried (cpuMsPer100MB:
// what a core pays per byte, which load on a shared machine disturbs less than the rate does), and
// its threads' context switches per TUN packet (switchesPerTunPacket: what that cost follows).
// Exit status 0 measured (the 90 % target is reported, not enforced), 1 failure.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import { join } from 'path';
import { splitConfigBundle } from '../lab/config-bundle';
import { charonPlugins } from '../src/negotiation/host/charon-config';
import { LabNames } from '../lab/lab-names';
import { BenchProduct } from './support/bench-product';
import { num } from './support/bench-env';
import { round } from './support/proc-stats';
import { checkBuild } from './support/server';

const env = process.env;
const SECONDS = num('BENCH_SECONDS', 10);
const REPEATS = num('BENCH_REPEATS', 2);
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
async function iperf(clientNs: string, serverNs: string, server: string): Promise<{ bps: number; bytes: number; mss?: number }> {
  const srv = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', server], { stdio: 'ignore' });
  children.push(srv);
  await sleep(300);
  try {
    const out = inNs(clientNs, ['iperf3', '-c', server, '-t', String(SECONDS), '-J']);
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

interface Figure {
  mbitPerSecond: number;
  runs: number[];
  /** Per charon (by role): its CPU share over the repeats (100 = one core) and CPU ms per 100 MB carried. */
  charons?: Record<string, { cpuPercent: number | null; cpuMsPer100MB: number | null; switchesPerTunPacket?: number }>;
  /** The sender's TCP MSS (iperf3) and the packets libipsec's TUN device on the sending side took: how big a packet each ESP packet carried. */
  senderMss?: number;
  tun?: { packets: number; bytesPerPacket: number };
  /** Cores each command name used meanwhile on the whole machine (other runs included): who competed. */
  coresByCommand?: Record<string, number>;
}

/** CPU seconds (user + system) of every process on the machine so far, summed by command name. */
function cpuByCommand(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Who took the machine's CPU between two cpuByCommand() snapshots: the top commands, in cores. */
function cpuShares(before: Map<string, number>, after: Map<string, number>, wallSeconds: number): Record<string, number> {
  const used = [...after].map(([comm, t]) => [comm, (t - (before.get(comm) ?? 0)) / wallSeconds] as const).filter(([, c]) => c >= 0.02);
  return Object.fromEntries(
    used
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([comm, c]) => [comm, round(c, 2)]),
  );
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

/**
 * Best of REPEATS iperf3 runs; with `charons` (role -> pid), each one's CPU over all the runs:
 * the share of a core and the CPU ms it spent per 100 MB the runs carried.
 */
async function best(
  what: string,
  run: () => Promise<{ bps: number; bytes: number; mss?: number }>,
  charons: Record<string, number | null> = {},
  tun?: { ns: string; dev: string },
): Promise<Figure> {
  const runs: number[] = [];
  const before = Object.fromEntries(Object.entries(charons).map(([role, pid]) => [role, cpuSeconds(pid)]));
  const switchesBefore = Object.fromEntries(Object.entries(charons).map(([role, pid]) => [role, contextSwitches(pid)]));
  const tunBefore = tun ? linkCounters(tun.ns, tun.dev) : null;
  const machineBefore = cpuByCommand();
  const t0 = Date.now();
  let bytes = 0;
  let mss: number | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const r = await run();
    runs.push(round(r.bps / 1e6, 1));
    bytes += r.bytes;
    mss = r.mss ?? mss;
  }
  const tunAfter = tun ? linkCounters(tun.ns, tun.dev) : null;
  const tunUse =
    tunBefore && tunAfter && tunAfter.packets > tunBefore.packets
      ? { packets: tunAfter.packets - tunBefore.packets, bytesPerPacket: round((tunAfter.bytes - tunBefore.bytes) / (tunAfter.packets - tunBefore.packets), 0) }
      : undefined;
  const wall = (Date.now() - t0) / 1000;
  // Exited processes (iperf3) drop out of the snapshot: this is who else was running meanwhile.
  const machineCores = cpuShares(machineBefore, cpuByCommand(), wall);
  const usage: Figure['charons'] = {};
  for (const [role, pid] of Object.entries(charons)) {
    const [b, a] = [before[role], cpuSeconds(pid)];
    const cpu = b === null || a === null ? null : a - b;
    const [sb, sa] = [switchesBefore[role], contextSwitches(pid)];
    usage[role] = {
      cpuPercent: cpu === null ? null : round((100 * cpu) / wall, 0),
      cpuMsPer100MB: cpu === null || bytes === 0 ? null : round((cpu * 1000) / (bytes / 1e8), 0),
      ...(sb !== null && sa !== null && tunUse ? { switchesPerTunPacket: round((sa - sb) / tunUse.packets, 2) } : {}),
    };
  }
  const cpuText = Object.entries(usage)
    .map(([role, u]) => `${role} ${u.cpuPercent}% ${u.cpuMsPer100MB} ms/100MB ${u.switchesPerTunPacket ?? '-'} switches/TUN packet`)
    .join(', ');
  const tunText = tunUse ? `, TUN ${tunUse.packets} packets of ${tunUse.bytesPerPacket} B on average, MSS ${mss}` : '';
  log(`${what}: ${runs.join(', ')} Mbit/s${cpuText ? ` (${cpuText}${tunText})` : ''}; cores by command: ${JSON.stringify(machineCores)}`);
  return {
    mbitPerSecond: Math.max(...runs),
    runs,
    ...(Object.keys(charons).length ? { charons: usage } : {}),
    ...(mss ? { senderMss: mss } : {}),
    ...(tunUse ? { tun: tunUse } : {}),
    coresByCommand: machineCores,
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

async function startBareCharon(ns: string, side: 'a' | 'b'): Promise<BareCharon> {
  const dir = mkdtempSync(join(tmpdir(), `dataplane-${side}-`));
  dirs.push(dir);
  // The gateway's plugin list, in its order; routes into libipsec's TUN installed by charon here
  // (the worker installs them itself on a gateway: same routes, same table).
  writeFileSync(
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
    { stdio: 'ignore' },
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

function loadBareConnection(c: BareCharon, side: 'a' | 'b', esp: string, network: BareNetwork): void {
  const [ipA, ipB] = BARE_NETWORKS[network];
  const [me, peer] = side === 'a' ? [ipA, ipB] : [ipB, ipA];
  const [mine, theirs] = side === 'a' ? ['10.201.0.0/24', '10.202.0.0/24'] : ['10.202.0.0/24', '10.201.0.0/24'];
  const file = join(c.dir, 'swanctl.conf');
  writeFileSync(
    file,
    `connections {
  dp {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    proposals = aes128-sha1-modp2048
    mobike = no
    local { auth = psk
      id = ${me} }
    remote { auth = psk
      id = ${peer} }
    children { dp {
      local_ts = ${mine}
      remote_ts = ${theirs}
      esp_proposals = ${esp}
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

/** Each proposal over each network, the two networks one after the other (load drifts less between them). */
async function measureBare(): Promise<Record<BareNetwork, Record<string, Figure>>> {
  const out: Record<BareNetwork, Record<string, Figure>> = { direct: {}, throughRouter: {} };
  for (const [esp, network] of BARE_ESP.flatMap((e) => (Object.keys(BARE_NETWORKS) as BareNetwork[]).map((n) => [e, n] as const))) {
    const a = await startBareCharon(NS.routerA, 'a');
    const b = await startBareCharon(NS.routerB, 'b');
    try {
      loadBareConnection(a, 'a', esp, network);
      loadBareConnection(b, 'b', esp, network);
      sh('swanctl', ['--initiate', '--child', 'dp', '--uri', a.uri, '--timeout', '10']);
      out[network][esp] = await best(
        `bare ${esp} (${network})`,
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
  return out;
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

async function measureProduct(): Promise<Record<string, Figure & { esp: string }>> {
  const prefix = `dp${tag.slice(0, 5)}`;
  const product = new BenchProduct({ labPrefix: prefix, dirPrefix: 'dataplane-bench-', dbPrefix: 'vpn_bench_dp_' });
  const out: Record<string, Figure & { esp: string }> = {};
  try {
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
    const names = new LabNames(prefix);
    const vm = names.instanceNamespace('vm-a1');
    const gatewayCharon = () => {
      try {
        return Number(sh('cat', [join(product.gatewaysDir, gw.id, 'charon.pid')]).trim()) || null;
      } catch {
        return null;
      }
    };
    // One tunnel and one lab site per proposal, on the same gateway, measured one after the other.
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
      const figure = await best(
        `product ${esp}`,
        () => iperf(vm, names.siteHostNamespace(siteName), siteHostIp),
        {
          gateway: gatewayCharon(),
          site: charonIn(names.siteRouterNamespace(siteName)),
        },
        { ns: product.gatewayNamespace(gw.id), dev: 'ipsec0' },
      );
      out[esp] = { esp: policy ? `${esp} (IPsec policy ${JSON.stringify(policy)})` : `${esp} (the default IPsec policy)`, ...figure };
    }
    return out;
  } finally {
    await product.stop();
  }
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
  try {
    buildNamespaces();
    plainRoutes('add');
    out.veth = await best('veth', () => iperf(NS.hostA, NS.hostB, '10.202.0.10'));
    plainRoutes('del');
    const bare = await measureBare();
    out.bare = bare.direct;
    out.bareThroughRouter = bare.throughRouter;
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
  }
  if (env.BENCH_SKIP_PRODUCT !== '1') {
    const product = await measureProduct();
    out.product = product;
    const ratios = (bare: Record<string, Figure>) => {
      const perProposal: Record<string, number> = {};
      for (const esp of Object.keys(product)) if (bare[esp]) perProposal[esp] = round(product[esp].mbitPerSecond / bare[esp].mbitPerSecond, 2);
      return { productOverBare: perProposal[DEFAULT_ESP] ?? null, perProposal };
    };
    out.ratio = {
      ...ratios(out.bare as Record<string, Figure>),
      target: TARGET_RATIO,
      sameNetwork: ratios(out.bareThroughRouter as Record<string, Figure>),
    };
  }
  out.machine = { ...(out.machine as object), loadAvg1mAtEnd: round(loadavg()[0], 2) };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
