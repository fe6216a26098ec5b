// Failover benchmark (issue 13): how long after a gateway host is lost every tunnel is connected
// again on another host, through the real product (API, two workers, charons, the lab).
//
// Run (PostgreSQL and Redis running, root, strongSwan installed):
//   npx tsc -p tsconfig.build.json && node dist/bench/failover.js > failover.json
//
// Prints ONE JSON object on stdout; progress goes to stderr. Three measurements:
//  1. single: one gateway with BENCH_SINGLE_TUNNELS tunnels on host A; A is killed (SIGKILL of the
//     worker and its charons, links cut: `lab host kill`), the gateway moves to B; then B is killed
//     and it moves back to A (revived), BENCH_SINGLE_ROUNDS times in all. Per round: seconds from
//     the kill to each tunnel connected again (the new owner's connected_at), and to all of them.
//  2. fleet: BENCH_GATEWAYS gateways x BENCH_TUNNELS_PER_GATEWAY tunnels on two hosts (placement
//     alternates, half on each); one host is killed: per moved gateway, seconds from the kill until
//     all its tunnels are connected again, and until all moved tunnels are.
//  3. drain: the surviving host is drained (`POST /gateway-hosts/{id}/drain`) to the revived one:
//     per gateway, seconds from its move until its tunnels were connected again (the outage), and
//     where it went (the new owner's log: how long the copy was prepared before the move, how long
//     after the move it served with its tunnels initiating; the rest is the IKE exchanges).
// The remote side is bench/support/mirror.ts: one answer-only charon holding every tunnel's
// mirrored connection, so every tunnel here is one the platform initiates.
//
// Environment (all optional): BENCH_GATEWAYS 50, BENCH_TUNNELS_PER_GATEWAY 20, BENCH_SINGLE_TUNNELS 20,
// BENCH_SINGLE_ROUNDS 3, BENCH_TIMEOUT_MS 180000, BENCH_SKIP_FLEET=1, BENCH_SKIP_DRAIN=1,
// BENCH_WORKER_ENV='HOST_LEASE_TTL_MS=4000' (extra worker settings), KEEP_BENCH_DIR=1.
// Exit status: 0 measured (targets are reported, not enforced), 1 failure.
import { existsSync, readFileSync } from 'fs';
import { cpus, loadavg } from 'os';
import { intToIp, ipToInt } from '../src/common/cidr';
import { LabNames } from '../lab/lab-names';
import { BenchProduct } from './support/bench-product';
import { Mirror, TunnelPlan } from './support/mirror';
import { percentile, pool, round } from './support/proc-stats';
import { checkBuild } from './support/server';
import { num } from './support/bench-env';

const env = process.env;
const GATEWAYS = num('BENCH_GATEWAYS', 50);
const PER_GATEWAY = num('BENCH_TUNNELS_PER_GATEWAY', 20);
const SINGLE_TUNNELS = num('BENCH_SINGLE_TUNNELS', 20);
const SINGLE_ROUNDS = num('BENCH_SINGLE_ROUNDS', 3);
const TIMEOUT_MS = num('BENCH_TIMEOUT_MS', 180_000);
const PREFIX = 'bf';
const PEER_BASE = '203.0.113.100';
const EIP_BASE = '198.51.100.10';
const EXTRA_EIPS = ['198.51.100.50', '198.51.100.99'];
const WORKER_ENV: Record<string, string> = {
  RECONCILE_INTERVAL_MS: '5000',
  HOST_CAPACITY: '100',
  ...Object.fromEntries(
    (env.BENCH_WORKER_ENV ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  ),
};

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ipPlus = (base: string, n: number) => intToIp(ipToInt(base) + n);
const stats = (xs: number[]) =>
  xs.length ? { n: xs.length, p50: round(percentile(xs, 50), 2), p95: round(percentile(xs, 95), 2), max: round(Math.max(...xs), 2) } : { n: 0 };

const product = new BenchProduct({ labPrefix: PREFIX, dirPrefix: 'failover-bench-', dbPrefix: 'vpn_bench_fo_', workerEnv: WORKER_ENV });
const gatewayCount = Math.max(GATEWAYS, 1) + 1; // the single-gateway case uses its own, the last
const mirror = new Mirror({
  names: new LabNames(PREFIX),
  addresses: Array.from({ length: gatewayCount }, (_, g) => ipPlus(PEER_BASE, g)),
  prefixLength: 24,
  router: '203.0.113.1',
});
let hostA = '';
let hostB = '';

interface Setup {
  subnets: { id: string; cidr: string }[];
  eipId: Map<string, string>;
  peerId: string[];
}

async function setup(): Promise<Setup> {
  const inv = product.inventory;
  const vpc = inv.vpcs.find((v) => v.name === 'demo-vpc-a')!;
  const extra = Array.from({ length: ipToInt(EXTRA_EIPS[1]) - ipToInt(EXTRA_EIPS[0]) + 1 }, (_, i) => ipPlus(EXTRA_EIPS[0], i));
  await pool(extra, 4, (address) =>
    product.ok('POST', '/api/v1/external-ips', { tenantId: inv.tenantId, dataCenterId: inv.dataCenter.id, address }, product.adminKey),
  );
  const eipId = new Map<string, string>();
  for (const e of (await product.ok('GET', '/api/v1/external-ips?limit=100&sort=address&order=asc')).items) eipId.set(e.address, e.id);
  const peerId = await pool(
    Array.from({ length: gatewayCount }, (_, g) => g),
    4,
    async (g) => (await product.ok('POST', '/api/v1/peer-gateways', { name: `bf-peer-${g}`, ipAddress: ipPlus(PEER_BASE, g) })).id as string,
  );
  return { subnets: vpc.subnets.map((s) => ({ id: s.id, cidr: s.cidr })), eipId, peerId };
}

/** Gateway g (198.51.100.10+g) has n tunnels to peer g (203.0.113.100+g), distinct IKE ids, own subnet. */
function plansOf(s: Setup, g: number, n: number): TunnelPlan[] {
  return Array.from({ length: n }, (_, i) => {
    const k = g * PER_GATEWAY + i;
    return {
      mirrorId: `bf-g${g}-t${i}`,
      gatewayIp: ipPlus(EIP_BASE, g),
      peerIp: ipPlus(PEER_BASE, g),
      localCidr: s.subnets[g % 2].cidr,
      remoteCidr: `172.${16 + (k >> 8)}.${k & 255}.0/24`,
      psk: `bench.g${g}t${i}-Key`,
      localId: ipPlus(EIP_BASE, g),
      remoteId: `t${i}.g${g}.bench.example`,
    };
  });
}

async function createGateway(s: Setup, g: number, plans: TunnelPlan[]): Promise<string> {
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: `bf-gw-${g}`,
    machineTypeId: product.inventory.machineType.id,
    vpcId: product.inventory.vpcs[0].id,
    subnetId: s.subnets[g % 2].id,
    externalIpId: s.eipId.get(ipPlus(EIP_BASE, g)),
    chargeType: 'hourly',
  });
  await pool(plans, 4, (p) =>
    product.ok('POST', '/api/v1/vpn-tunnels', {
      name: p.mirrorId,
      gatewayId: gw.id,
      peerId: s.peerId[g],
      localSubnetIds: [s.subnets[g % 2].id],
      remoteCidrs: [p.remoteCidr],
      psk: p.psk,
      ikePolicy: { localId: p.localId, remoteId: p.remoteId },
    }),
  );
  return gw.id;
}

async function waitAllConnected(gatewayIds: string[], what: string): Promise<void> {
  await product.waitFor(
    async () => {
      const [r] = await product.sql<{ n: string }>(`SELECT count(*) AS n FROM vpn_tunnels WHERE gateway_id = ANY($1) AND connection_state <> 'connected'`, [
        gatewayIds,
      ]);
      return Number(r.n) === 0;
    },
    TIMEOUT_MS,
    what,
    250,
  );
}

/**
 * Kills `victim` and waits until every tunnel of `moved` is connected again by the new owner;
 * returns per tunnel and per gateway the seconds from the kill (the database's clock).
 */
async function killAndMeasure(victim: string, moved: string[]) {
  const [{ t0 }] = await product.sql<{ t0: string }>('SELECT now()::text AS t0');
  const load = loadavg()[0];
  await product.labHosts().kill(victim);
  const query = () =>
    product.sql<{ gateway_id: string; s: number | null }>(
      `SELECT t.gateway_id, extract(epoch FROM t.connected_at - $2::timestamptz)::float8 AS s FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id
      WHERE t.gateway_id = ANY($1) AND g.host_id <> $3 AND t.connection_state = 'connected' AND t.connected_at > $2::timestamptz`,
      [moved, t0, victim],
    );
  let rows: { gateway_id: string; s: number | null }[] = [];
  let expected = -1;
  const started = Date.now();
  while (Date.now() - started < TIMEOUT_MS) {
    if (expected < 0) expected = Number((await product.sql<{ n: string }>('SELECT count(*) AS n FROM vpn_tunnels WHERE gateway_id = ANY($1)', [moved]))[0].n);
    rows = await query();
    if (rows.length >= expected) break;
    await sleep(250);
  }
  const perTunnel = rows.map((r) => Number(r.s));
  const byGateway = new Map<string, number[]>();
  for (const r of rows) byGateway.set(r.gateway_id, [...(byGateway.get(r.gateway_id) ?? []), Number(r.s)]);
  const perGateway = [...byGateway.entries()].filter(([, xs]) => xs.length === expected / moved.length).map(([, xs]) => Math.max(...xs));
  return {
    loadAvg1mAtKill: round(load, 2),
    tunnels: expected,
    reconnected: rows.length,
    perTunnelSeconds: stats(perTunnel),
    perGatewayAllConnectedSeconds: stats(perGateway),
    allSeconds: perTunnel.length ? round(Math.max(...perTunnel), 2) : null,
  };
}

async function reviveAndWait(id: string): Promise<void> {
  product.labHosts().revive(id);
  await product.waitFor(
    async () => (await product.sql('SELECT 1 FROM gateway_hosts WHERE id = $1 AND lease_expires_at > now()', [id])).length === 1,
    30_000,
    `${id} back`,
    100,
  );
  await sleep(2000); // its stale copies removed
}

async function single(s: Setup) {
  const g = gatewayCount - 1;
  const plans = plansOf(s, g, SINGLE_TUNNELS);
  await mirror.load(plans);
  const id = await createGateway(s, g, plans);
  await waitAllConnected([id], 'the single gateway connected');
  const rounds = [];
  for (let r = 0; r < SINGLE_ROUNDS; r++) {
    const owner = (await product.sql<{ host_id: string }>('SELECT host_id FROM vpn_gateways WHERE id = $1', [id]))[0].host_id;
    const m = await killAndMeasure(owner, [id]);
    log(`single round ${r + 1}: ${JSON.stringify(m)}`);
    rounds.push(m);
    await reviveAndWait(owner);
  }
  const all = rounds.flatMap((x) => (x.allSeconds === null ? [] : [x.allSeconds]));
  await product.ok('POST', '/api/v1/vpn-tunnels/batch-delete', {
    ids: (await product.sql<{ id: string }>('SELECT id FROM vpn_tunnels WHERE gateway_id = $1', [id])).map((x) => x.id),
  });
  return {
    tunnels: SINGLE_TUNNELS,
    rounds,
    allConnectedSeconds: stats(all),
    perTunnelP95Seconds: stats(rounds.map((x) => x.perTunnelSeconds.p95 ?? 0)),
    targetP95Seconds: 10,
    met: rounds.every((x) => (x.perTunnelSeconds.p95 ?? Infinity) <= 10),
  };
}

async function fleet(s: Setup) {
  const ids: string[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    const plans = plansOf(s, g, PER_GATEWAY);
    await mirror.load(plans);
    ids.push(await createGateway(s, g, plans));
  }
  log(`created ${GATEWAYS} gateways x ${PER_GATEWAY} tunnels`);
  await waitAllConnected(ids, 'every fleet tunnel connected');
  const placed = await product.sql<{ host_id: string; n: string }>('SELECT host_id, count(*) AS n FROM vpn_gateways WHERE id = ANY($1) GROUP BY 1', [ids]);
  const victim = hostA;
  const moved = (await product.sql<{ id: string }>('SELECT id FROM vpn_gateways WHERE id = ANY($1) AND host_id = $2', [ids, victim])).map((r) => r.id);
  await sleep(3000);
  const m = await killAndMeasure(victim, moved);
  log(`fleet: ${JSON.stringify(m)}`);
  return {
    gateways: GATEWAYS,
    tunnelsPerGateway: PER_GATEWAY,
    placement: Object.fromEntries(placed.map((p) => [p.host_id, Number(p.n)])),
    movedGateways: moved.length,
    ...m,
    targetAllSeconds: 60,
    met: m.allSeconds !== null && m.reconnected === m.tunnels && m.allSeconds <= 60,
    ids,
  };
}

async function drain(ids: string[]) {
  await reviveAndWait(hostA);
  const from = (await product.sql<{ host_id: string }>('SELECT host_id FROM vpn_gateways WHERE id = $1', [ids[0]]))[0].host_id;
  const [{ t0 }] = await product.sql<{ t0: string }>('SELECT now()::text AS t0');
  const load = loadavg()[0];
  await product.ok('POST', `/api/v1/gateway-hosts/${from}/drain`, undefined, product.adminKey);
  await product.waitFor(
    async () => (await product.sql('SELECT 1 FROM vpn_gateways WHERE host_id = $1', [from])).length === 0,
    TIMEOUT_MS * 3,
    'the drain to finish',
    500,
  );
  await waitAllConnected(ids, 'every drained tunnel connected');
  await sleep(2000);
  // The outage of a move: from the claim (the old copy serves until then) to its last tunnel's
  // connected_at, read from the tunnels themselves (the move's reconnected_at is the same since
  // the make-before-break change; before it, it trailed by up to a lease tick).
  const moves = await product.sql<{ gateway_id: string; to_host_id: string; s: number | null }>(
    `SELECT m.gateway_id, m.to_host_id, (SELECT extract(epoch FROM max(t.connected_at) - m.moved_at)::float8 FROM vpn_tunnels t WHERE t.gateway_id = m.gateway_id AND t.connected_at >= m.moved_at) AS s
       FROM gateway_moves m WHERE m.reason = 'drain' AND m.from_host_id = $1 AND m.moved_at >= $2::timestamptz ORDER BY m.moved_at`,
    [from, t0],
  );
  const [{ total }] = await product.sql<{ total: number }>(`SELECT extract(epoch FROM now() - $1::timestamptz)::float8 AS total`, [t0]);
  const outages = moves.flatMap((m) => (m.s === null ? [] : [Number(m.s)]));
  const steps = takeOverSteps([...new Set(moves.map((m) => m.to_host_id))]);
  const perGateway = moves.map((m) => {
    const step = steps.get(m.gateway_id);
    const outage = m.s === null ? null : round(Number(m.s), 2);
    // The outage is the take-over (claim, plug, agent, tunnels initiating) plus the IKE exchanges.
    return {
      gateway: m.gateway_id,
      outageSeconds: outage,
      preparedBeforeMoveMs: step?.preparedMs ?? null,
      servingAfterMoveMs: step?.servingMs ?? null,
      ikeSeconds: outage !== null && step ? round(outage - step.servingMs / 1000, 2) : null,
    };
  });
  return {
    from,
    loadAvg1mAtStart: round(load, 2),
    loadAvg1mAtEnd: round(loadavg()[0], 2),
    gateways: moves.length,
    outageSecondsPerGateway: stats(outages),
    unmeasured: moves.length - outages.length,
    totalSeconds: round(Number(total), 1),
    targetP95Seconds: 3,
    met: outages.length > 0 && percentile(outages, 95) <= 3,
    perGateway,
  };
}

/** What the new owners' logs say of each take-over (HostSupervisor: "taken over from ..."). */
function takeOverSteps(hosts: string[]): Map<string, { preparedMs: number | null; servingMs: number }> {
  const found = new Map<string, { preparedMs: number | null; servingMs: number }>();
  for (const id of hosts) {
    const log = product.labHosts().get(id)?.log;
    if (!log || !existsSync(log)) continue;
    for (const m of readFileSync(log, 'utf8').matchAll(
      /gateway (vpngw-\S+) taken over from \S+: (?:prepared in (\d+) ms[^,]*, )?(?:not prepared, )?serving here .*? (\d+) ms after the move/g,
    )) {
      found.set(m[1], { preparedMs: m[2] ? Number(m[2]) : null, servingMs: Number(m[3]) });
    }
  }
  return found;
}

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    log('cleaning up');
    await mirror.stop().catch((e) => log(`mirror stop: ${(e as Error).message}`));
    await product.stop().catch((e) => log(`product stop: ${(e as Error).message}`));
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
  const out: Record<string, unknown> = {
    bench: 'failover',
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAvg1mAtStart: round(loadavg()[0], 2) },
    workerEnv: WORKER_ENV,
  };
  try {
    log(`starting the product (lab prefix ${PREFIX})`);
    await product.start();
    hostA = `${product.hostId}a`;
    hostB = `${product.hostId}b`;
    // At level log: the drain's breakdown is read from the hosts' take-over lines.
    await product.addHost(hostA, { LOG_LEVEL: 'log' });
    await product.addHost(hostB, { LOG_LEVEL: 'log' });
    out.workerSettings = product.workerSettings();
    const s = await setup();
    const plans = [...Array.from({ length: GATEWAYS }, (_, g) => plansOf(s, g, PER_GATEWAY)).flat(), ...plansOf(s, gatewayCount - 1, SINGLE_TUNNELS)];
    await mirror.start(plans);
    out.single = await single(s);
    if (!env.BENCH_SKIP_FLEET) {
      await reviveAndWait(hostA).catch(() => undefined);
      await reviveAndWait(hostB).catch(() => undefined);
      const f = await fleet(s);
      const { ids, ...rest } = f;
      out.fleet = rest;
      if (!env.BENCH_SKIP_DRAIN) out.drain = await drain(ids);
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } catch (err) {
    log(`FAILED: ${(err as Error).stack ?? err}`);
    log(`mirror log tail:\n${mirror.logTail()}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

void main();
