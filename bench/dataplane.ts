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
//    ("aes128-sha1,aes128gcm16");
//  - product: a VPC instance -> the product's gateway -> the lab internet -> a lab site built from
//    the downloaded remote config -> the site's host, with the tunnel's default policies (ESP
//    aes128/sha1), unless BENCH_SKIP_PRODUCT=1.
// ratio = product / bare with the same ESP proposal. Also: the load average and the charons' CPU.
// Exit status 0 measured (the 90 % target is reported, not enforced), 1 failure.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
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
const CHARON = '/usr/lib/ipsec/charon';
const TARGET_RATIO = 0.9;
const tag = Math.random().toString(36).slice(2, 7);
const NS = { hostA: `dpha-${tag}`, routerA: `dpra-${tag}`, routerB: `dprb-${tag}`, hostB: `dphb-${tag}` };

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

/** One iperf3 TCP stream from `clientNs` to `server` (an iperf3 -s runs in `serverNs`); bits/s received. */
async function iperf(clientNs: string, serverNs: string, server: string): Promise<number> {
  const srv = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', server], { stdio: 'ignore' });
  children.push(srv);
  await sleep(300);
  try {
    const out = inNs(clientNs, ['iperf3', '-c', server, '-t', String(SECONDS), '-J']);
    const result = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
    if (result.error || !result.end?.sum_received?.bits_per_second) throw new Error(`iperf3: ${result.error ?? out.slice(0, 300)}`);
    return result.end.sum_received.bits_per_second;
  } finally {
    srv.kill('SIGKILL');
  }
}

async function best(what: string, run: () => Promise<number>): Promise<{ mbitPerSecond: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(round((await run()) / 1e6, 1));
  log(`${what}: ${runs.join(', ')} Mbit/s`);
  return { mbitPerSecond: Math.max(...runs), runs };
}

// --- the four namespaces: hostA 10.201.0.10 - routerA - 192.0.2.1/.2 - routerB - hostB 10.202.0.10
function buildNamespaces(): void {
  for (const ns of Object.values(NS)) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  let links = 0;
  const veth = (a: string, aIp: string, b: string, bIp: string) => {
    links++;
    const ia = `v${tag}${links}a`;
    const ib = `v${tag}${links}b`;
    sh('ip', ['-n', a, 'link', 'add', ia, 'type', 'veth', 'peer', 'name', ib, 'netns', b]);
    sh('ip', ['-n', a, 'addr', 'add', aIp, 'dev', ia]);
    sh('ip', ['-n', b, 'addr', 'add', bIp, 'dev', ib]);
    sh('ip', ['-n', a, 'link', 'set', ia, 'up']);
    sh('ip', ['-n', b, 'link', 'set', ib, 'up']);
  };
  veth(NS.hostA, '10.201.0.10/24', NS.routerA, '10.201.0.1/24');
  veth(NS.routerA, '192.0.2.1/24', NS.routerB, '192.0.2.2/24');
  veth(NS.routerB, '10.202.0.1/24', NS.hostB, '10.202.0.10/24');
  sh('ip', ['-n', NS.hostA, 'route', 'add', 'default', 'via', '10.201.0.1']);
  sh('ip', ['-n', NS.hostB, 'route', 'add', 'default', 'via', '10.202.0.1']);
  for (const r of [NS.routerA, NS.routerB]) inNs(r, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
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

function loadBareConnection(c: BareCharon, side: 'a' | 'b', esp: string): void {
  const [me, peer] = side === 'a' ? ['192.0.2.1', '192.0.2.2'] : ['192.0.2.2', '192.0.2.1'];
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
secrets { ike-dp { id-a = 192.0.2.1
  id-b = 192.0.2.2
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

async function measureBare(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const esp of BARE_ESP) {
    const a = await startBareCharon(NS.routerA, 'a');
    const b = await startBareCharon(NS.routerB, 'b');
    try {
      loadBareConnection(a, 'a', esp);
      loadBareConnection(b, 'b', esp);
      sh('swanctl', ['--initiate', '--child', 'dp', '--uri', a.uri, '--timeout', '10']);
      const before = [cpuSeconds(a.pid()), cpuSeconds(b.pid())];
      const t0 = Date.now();
      const figure = await best(`bare ${esp}`, () => iperf(NS.hostA, NS.hostB, '10.202.0.10'));
      const wall = (Date.now() - t0) / 1000;
      const after = [cpuSeconds(a.pid()), cpuSeconds(b.pid())];
      const busy = (i: number) => (before[i] === null || after[i] === null ? null : round((100 * (after[i]! - before[i]!)) / wall, 0));
      out[esp] = { ...figure, senderCharonCpuPercent: busy(0), receiverCharonCpuPercent: busy(1) };
    } finally {
      for (const c of [a, b]) {
        c.child.kill('SIGKILL');
        await new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)));
      }
    }
  }
  return out;
}

async function measureProduct(): Promise<Record<string, unknown>> {
  const prefix = `dp${tag.slice(0, 5)}`;
  const product = new BenchProduct({ labPrefix: prefix, dirPrefix: 'dataplane-bench-', dbPrefix: 'vpn_bench_dp_' });
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
    const siteIp = '203.0.113.77';
    const siteSubnet = '172.16.77.0/24';
    const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'dp-site', ipAddress: siteIp });
    const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
      name: 'dp',
      gatewayId: gw.id,
      peerId: peer.id,
      localSubnetIds: [vpc.subnets[0].id],
      remoteCidrs: [siteSubnet],
      psk: 'dataplane.Bench-1',
    });
    const download = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?side=remote`);
    const { conf, secrets } = splitConfigBundle(download.text);
    await product.lab.addSite({ name: 'dp', publicIp: siteIp, subnet: siteSubnet, conf, secrets });
    await product.waitFor(
      async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}`)).connectionState === 'connected',
      60_000,
      'tunnel connected',
    );
    const names = new LabNames(prefix);
    const vm = names.instanceNamespace('vm-a1');
    const siteHost = names.siteHostNamespace('dp');
    await product.waitFor(
      async () => {
        try {
          inNs(vm, ['ping', '-c', '1', '-W', '1', '172.16.77.10']);
          return true;
        } catch {
          return false;
        }
      },
      60_000,
      'a ping from vm-a1 to the site host',
    );
    return { esp: 'aes128-sha1 (the default IPsec policy)', ...(await best('product aes128-sha1', () => iperf(vm, siteHost, '172.16.77.10'))) };
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
    out.bare = await measureBare();
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
    const bare = (out.bare as Record<string, { mbitPerSecond: number }>)['aes128-sha1'];
    if (bare) out.ratio = { productOverBare: round((product.mbitPerSecond as number) / bare.mbitPerSecond, 2), target: TARGET_RATIO };
  }
  out.machine = { ...(out.machine as object), loadAvg1mAtEnd: round(loadavg()[0], 2) };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
