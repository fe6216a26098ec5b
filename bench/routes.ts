// Route push benchmark: from a tunnel becoming `connected` to its routes being in the kernel of
// every one of BENCH_INSTANCES (100) instances, and back (withdrawal after the hold-down).
//
// Run (root; PostgreSQL and Redis running):
//   npx tsc -p tsconfig.build.json && node dist/bench/routes.js > routes.json
//
// Prints ONE JSON object on stdout; progress goes to stderr. What it does:
//  - starts the product (bench/support/bench-product.ts: a private migrated database, the compiled
//    API and worker, a private lab with prefix 'br'); the lab's own few agents are stopped so that
//    exactly the bench's instances are measured;
//  - creates a gateway in the lab VPC's first subnet (10.1.1.0/24), then kills the worker (no
//    negotiation: the push path starts at the database state), a peer and a tunnel whose local
//    subnet is that subnet;
//  - registers the instances (10.1.1.20 on), plugs a namespace per instance into the subnet
//    bridge as the lab does, issues each a token and runs a real route agent for each (the lab's
//    own: python3 agent/route_agent.py --netns, one process per instance);
//  - per round: UPDATE the tunnel to connected with a fresh remote CIDR + publish on Redis (what the
//    worker does), time until all agents reported the version the API computes; verify the route in
//    a few namespaces; then withdraw (phase1_failed, hold-down over) and time that too.
//
// Environment (optional): BENCH_INSTANCES 100, BENCH_ROUNDS 10, BENCH_POLL_MS 20, BENCH_SETTLE_MS 500, BENCH_TIMEOUT_MS 60000, BENCH_VERIFY 5 (namespaces checked
// per phase), BENCH_EXPLAIN_MS 10000 (slower phases record their slowest agent's log), BENCH_PROFILE=0 (skip the profile and the baseline: API fan-out alone, one netlink process for all), KEEP_BENCH_DIR=1,
// BENCH_API_CPU_PROF=<dir> (the API under V8's CPU profiler, a .cpuprofile of the whole run written there when it stops; not for figures). Exit status: 0 measured (the target is reported), 1 failure.
//
// The baseline, from the same run: the server's fan-out alone (raw long polls answered) plus one
// netlink process doing the kernel work of all instances (bench/support/netlink-routes.py);
// `ratio` = apply p50 / p95 over that sum. `cpuMsPerChange` is the CPU the API and the agents used
// per change; `agentMemoryMiB` the agents' RSS (each, and their sum). Targets: apply and withdraw
// p95 <= 150 ms with 100 instances; an agent <= 25 MiB RSS.
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { cpus, freemem, loadavg, release, totalmem } from 'os';
import { join } from 'path';
import { Client } from 'pg';
import { hostQueueName } from '../src/jobs/job-catalogue';
import { fabricNamespaces } from '../lab/lab-fabric';
import { namespaceExists, removeNamespace } from '../src/negotiation/host/gateway-namespace';
import { LabNames } from '../lab/lab-names';
import { BenchProduct } from './support/bench-product';
import { mib, percentile, round } from './support/proc-stats';
import { Fleet } from './support/routes-fleet';
import { netlinkAlone, serverFanOut } from './support/routes-profile';
import { expectedVersion, measure, RoundContext } from './support/routes-rounds';
import { checkBuild } from './support/server';
import { num } from './support/bench-env';

const env = process.env;
const INSTANCES = num('BENCH_INSTANCES', 100);
const ROUNDS = num('BENCH_ROUNDS', 10);
const PREFIX = 'br';
const FIRST_IP = '10.1.1.20';
const TARGET_P95_MS = 150;
const TARGET_AGENT_RSS_MIB = 25;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Own directory and database prefixes: other benchmarks' clean-ups remove 'vpn-bench-*' leftovers.
const product = new BenchProduct({
  labPrefix: PREFIX,
  dirPrefix: 'routes-bench-',
  dbPrefix: 'vpn_bench_routes_',
  workerEnv: { RECONCILE_INTERVAL_MS: '5000', HOST_LEASE_RENEW_MS: '1000' },
});
const names = new LabNames(PREFIX);
const fleet = new Fleet(product, names, join(product.dir, 'fleet'));
let pg: Client | null = null;
let redis: IORedis | null = null;
let gatewayId: string | null = null;

/** A gateway in the first VPC's first subnet on the first free external IP; waits until running. */
async function createGateway(): Promise<any> {
  const inv = product.inventory;
  const eips = await product.ok('GET', '/api/v1/external-ips?limit=100&sort=address&order=asc');
  const eip = eips.items.find((e: any) => !e.boundTo);
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'br-gw',
    machineTypeId: inv.machineType.id,
    vpcId: inv.vpcs[0].id,
    subnetId: inv.vpcs[0].subnets[0].id,
    externalIpId: eip.id,
    chargeType: 'hourly',
  });
  gatewayId = gw.id; // its namespace is named by it
  let last: any;
  await product.waitFor(
    async () => (last = await product.ok('GET', `/api/v1/vpn-gateways/${gw.id}`)).resourceState === 'running',
    60_000,
    `gateway ${gw.id} running`,
    100,
  );
  return last;
}

/** Every agent of the fleet reported since `sinceWall` (a freshly started agent reports once). */
async function waitAllReported(sinceWall: number, timeoutMs: number): Promise<void> {
  const ids = fleet.instances.map((i) => i.targetId);
  await product.waitFor(
    async () => {
      const { rows } = await pg!.query(`SELECT count(*)::int AS n FROM agent_targets WHERE id = ANY($1) AND last_report_at >= to_timestamp($2 / 1000.0)`, [
        ids,
        sinceWall,
      ]);
      return rows[0].n === ids.length;
    },
    timeoutMs,
    `all ${ids.length} agents to report`,
    100,
  );
}

/** The API's own view (GET /agents) must agree with the version we wait for. */
async function crossCheck(c: RoundContext, cidr: string, version: string): Promise<void> {
  const agents: any[] = await product.ok('GET', `/api/v1/agents?vpcId=${c.vpcId}`, undefined, product.adminKey);
  const mine = new Set(fleet.instances.map((i) => i.targetId));
  const seen = agents.filter((a) => mine.has(a.id));
  const wrong = seen.filter(
    (a) => a.desiredVersion !== version || !a.upToDate || JSON.stringify(a.routes) !== JSON.stringify([{ destination: cidr, via: c.tunnel.gatewayPrivateIp }]),
  );
  if (seen.length !== mine.size || wrong.length)
    throw new Error(`GET /agents disagrees: ${seen.length} agents listed, ${wrong.length} differ (e.g. ${JSON.stringify(wrong[0])})`);
  log(`GET /agents agrees: ${seen.length} agents up to date with version ${version}`);
}

async function runAgents(c: RoundContext) {
  log(`starting ${INSTANCES} agents`);
  const loadAvg1mAtStart = round(loadavg()[0], 2);
  const started = Date.now();
  await fleet.start();
  await waitAllReported(started, 120_000);
  const startMs = Date.now() - started;
  await sleep(1000);
  log(`all agents reported in ${startMs} ms; warm-up round`);
  await measure(c, 1, 200, (cidr, version) => crossCheck(c, cidr, version)); // pools, caches; not recorded
  const rss = fleet.agentRssKb();
  const r = await measure(c, ROUNDS, 0);
  await fleet.stop();
  const perAgentMiB = { p50: mib(percentile(rss, 50)), max: mib(Math.max(...rss)) };
  return {
    apply: r.apply,
    withdraw: r.withdraw,
    target: {
      p95Ms: TARGET_P95_MS,
      met: r.apply.p95Ms < TARGET_P95_MS && r.withdraw.p95Ms < TARGET_P95_MS,
      agentRssMiB: TARGET_AGENT_RSS_MIB,
      agentRssMet: (perAgentMiB.max ?? Infinity) <= TARGET_AGENT_RSS_MIB,
    },
    namespacesVerified: r.namespacesVerified,
    loadAvg1mAtStart,
    loadAvg1mAtEnd: round(loadavg()[0], 2),
    cpuMsPerChange: {
      api: r.apply.meanCpuMsDuringPhase.api,
      agents: r.apply.meanCpuMsDuringPhase.agents,
      withdrawApi: r.withdraw.meanCpuMsDuringPhase.api,
      withdrawAgents: r.withdraw.meanCpuMsDuringPhase.agents,
    },
    agentsStartToAllReportedMs: startMs,
    agentMemoryMiB: { perAgent: perAgentMiB, sum: mib(rss.reduce((a, b) => a + b, 0)), agents: rss.length },
  };
}

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    log('cleaning up');
    await fleet.remove().catch((e) => log(`fleet: ${(e as Error).message}`));
    await pg?.end().catch(() => undefined);
    redis?.disconnect();
    await product.stop().catch((e) => log(`product stop: ${(e as Error).message}`));
    if (product.redisUrl) {
      // The tunnel's sync job waited on the killed worker's queue: remove the queue (API stopped,
      // so nothing writes it again).
      const connection = new IORedis(product.redisUrl, { maxRetriesPerRequest: null });
      const queue = new Queue(hostQueueName(product.hostId), { connection });
      await queue.obliterate({ force: true }).catch((e) => log(`queue: ${(e as Error).message}`));
      await queue.close().catch(() => undefined);
      connection.disconnect();
    }
    // Should the run's directory (lab state, gateway dirs) have gone missing, the names are known.
    const left = [...(gatewayId ? [gatewayId] : []), ...fabricNamespaces(names, product.inventory ?? null).reverse(), names.inetNamespace].filter(
      namespaceExists,
    );
    for (const ns of left) await removeNamespace(ns, { killProcesses: true }).catch((e) => log(`namespace ${ns}: ${(e as Error).message}`));
    if (left.length) log(`removed leftover namespaces: ${left.join(', ')}`);
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  checkBuild();
  const out: Record<string, unknown> = { bench: 'routes', startedAt: new Date().toISOString(), instances: INSTANCES, rounds: ROUNDS };
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiBAtStart: Math.round(freemem() / 2 ** 20),
    kernel: release(),
    node: process.version,
    loadAvg1mAtStart: round(loadavg()[0], 2),
  };
  try {
    let t = Date.now();
    log(`starting the product (lab prefix ${PREFIX}, host ${product.hostId}, dir ${product.dir})`);
    await product.start();
    for (const a of product.lab.agentStatus()) await product.lab.stopAgent(a.name); // only the bench's agents are measured
    await product.startWorker();
    const gw = await createGateway();
    product.killWorker(); // it would negotiate the tunnel (its peer does not exist) and write its state
    const vpc = product.inventory.vpcs[0];
    const subnet = vpc.subnets[0];
    const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'br-peer', ipAddress: '203.0.113.250' });
    const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
      name: 'br-tunnel',
      gatewayId: gw.id,
      peerId: peer.id,
      localSubnetIds: [subnet.id],
      remoteCidrs: ['172.20.250.0/24'],
      psk: 'bench.Routes-Key1',
    });
    const productMs = Date.now() - t;
    log(`gateway ${gw.id} (${gw.privateIp}) and tunnel ${tunnel.id} ready in ${productMs} ms; worker killed`);
    t = Date.now();
    await fleet.create(INSTANCES, FIRST_IP);
    const fleetMs = Date.now() - t;
    log(`${INSTANCES} instances with namespaces and tokens in ${fleetMs} ms`);

    pg = new Client({ connectionString: product.dbUrl });
    await pg.connect();
    redis = new IORedis(product.redisUrl, { maxRetriesPerRequest: 1 });
    const c: RoundContext = {
      fleet,
      pg,
      redis,
      apiPid: product.apiPid!,
      vpcId: vpc.id,
      subnets: vpc.subnets.map((s) => ({ id: s.id, cidr: s.cidr })),
      tunnel: {
        id: tunnel.id,
        gatewayId: gw.id,
        gatewaySubnetId: gw.subnetId ?? subnet.id,
        gatewayPrivateIp: gw.privateIp,
        localSubnetIds: [subnet.id],
        remoteCidrs: [],
        connectionState: 'connecting',
        resourceState: 'running',
        disconnectedAt: null,
      },
      pollMs: num('BENCH_POLL_MS', 20),
      settleMs: num('BENCH_SETTLE_MS', 500),
      timeoutMs: num('BENCH_TIMEOUT_MS', 60_000),
      verifySample: num('BENCH_VERIFY', 5),
      explainMs: num('BENCH_EXPLAIN_MS', 10_000),
    };
    if (expectedVersion(c, null) === expectedVersion(c, '172.20.0.0/24')) throw new Error('route versions do not change with the routes');
    const agents = await runAgents(c);
    let profile: Record<string, unknown> | null = null;
    let baseline: Record<string, unknown> | null = null;
    let ratio: { p50: number; p95: number } | null = null;
    if (env.BENCH_PROFILE !== '0') {
      log('profile: the API alone (raw long polls), one netlink process for all');
      const loadAvg1mAtStart = round(loadavg()[0], 2);
      const fanOut = await serverFanOut(c, 5, 150);
      const netlink = await netlinkAlone(c, 5);
      profile = { serverFanOut: fanOut, netlinkAlone: netlink, loadAvg1mAtStart, loadAvg1mAtEnd: round(loadavg()[0], 2) };
      const sumMs = round(fanOut.lastAnswerMs.p50Ms + Math.max(netlink.addAllMs.p50Ms, netlink.deleteAllMs.p50Ms));
      baseline = {
        is: 'server fan-out alone (last long poll answered, p50) + one netlink process for all instances (p50 of add and delete, the slower)',
        serverFanOutMs: fanOut.lastAnswerMs.p50Ms,
        netlinkAllMs: Math.max(netlink.addAllMs.p50Ms, netlink.deleteAllMs.p50Ms),
        sumMs,
      };
      ratio = { p50: round(agents.apply.p50Ms / sumMs, 2), p95: round(agents.apply.p95Ms / sumMs, 2) };
    }
    Object.assign(out, {
      apply: agents.apply,
      withdraw: agents.withdraw,
      target: agents.target,
      baseline,
      ratio,
      cpuMsPerChange: agents.cpuMsPerChange,
      agentMemoryMiB: agents.agentMemoryMiB,
      loadAvg1m: { atStart: agents.loadAvg1mAtStart, atEnd: round(loadavg()[0], 2) },
      agentsStartToAllReportedMs: agents.agentsStartToAllReportedMs,
      namespacesVerified: agents.namespacesVerified,
      profile,
      pollMs: c.pollMs,
      settleMs: c.settleMs,
      setupMs: { product: productMs, fleet: fleetMs },
      machine,
    });
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } catch (err) {
    log(`FAILED: ${(err as Error).stack ?? err}`);
    log(`API log tail:\n${product.logTail('api')}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

void main();
