// API benchmark: list/create throughput and latency of the real API with 10,000 tunnels stored.
//
// Run (no npm scripts needed; PostgreSQL and Redis must be running):
//   npx tsc -p tsconfig.build.json && node dist/bench/api.js
//   # or without npx: node node_modules/typescript/bin/tsc -p tsconfig.build.json && node dist/bench/api.js
//
// Prints ONE JSON object on stdout (progress and the API's own logs go to stderr), e.g.
//   node dist/bench/api.js > bench.json
// It creates a throwaway database vpn_bench_<timestamp>, migrates and seeds it with SQL (one tenant,
// 500 gateways x 20 tunnels, 500 peers x 20 tunnels, plus spare gateways/peers), starts the compiled
// API (dist/src/main.js) as a child process on a free port, measures with Node's fetch (keep-alive),
// EXPLAINs the searched list query, then stops the API and drops the database (also on failure).
//
// Environment (all optional):
//   BENCH_PG_ADMIN_URL   postgres://postgres@127.0.0.1:5432/postgres  (a database to connect to for CREATE/DROP DATABASE)
//   BENCH_REDIS_URL      redis://127.0.0.1:6379/14
//   BENCH_GATEWAYS       500   (x 20 tunnels each)
//   BENCH_SEQUENTIAL     500   requests per list scenario at concurrency 1
//   BENCH_CONCURRENT     1000  requests per list scenario at concurrency 8
//   BENCH_CREATES        200   tunnel creates at concurrency 4 (at most 200: 10 spare gateways/peers x 20)
//   BENCH_EXPLAIN=1      also print the full query plans to stderr
//   BENCH_ENFORCE_TARGET=1  exit 3 when the p99 target is missed (default: report only)
// Exit status: 0 measured; 1 failure or any unexpected status; 3 target missed (when enforced).
import { randomBytes } from 'crypto';
import { Client as Pg } from 'pg';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { hostQueueName } from '../src/jobs/job-catalogue';
import { Explained, explainList } from './support/explain';
import { Call, Client, Figures } from './support/load';
import { PARTNERS, seededDatabase, Seeded } from './support/seed';
import { checkBuild, startApi } from './support/server';
import { num, REDIS_URL, cleanupOnExit, runBench, machineInfo } from './support/bench-env';

const env = process.env;
const GATEWAYS = num('BENCH_GATEWAYS', 500);
const SEQUENTIAL = num('BENCH_SEQUENTIAL', 500);
const CONCURRENT = num('BENCH_CONCURRENT', 1000);
const CREATES = Math.min(num('BENCH_CREATES', 200), 200);
const SPARE = 10;
const TARGET_P99_MS = 50;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** Search terms that each match ~1/40 of the tunnels (a site name starts every tunnel name). */
const TERMS = ['frankfurt', 'singapore', 'toronto', 'madrid', 'seoul'];
// A spread of pages: request i asks for page (i*7 mod n), so consecutive requests differ.
const page = (i: number, pages: number) => ((i * 7) % pages) * 20;

function listScenarios(s: Seeded): Record<string, { call: Call; probe: string }> {
  const tunnels = '/api/v1/vpn-tunnels?limit=20';
  const searched = (sort: string) => (i: number) => ({ path: `${tunnels}&offset=${page(i, 12)}&q=${TERMS[i % TERMS.length]}${sort}` });
  return {
    tunnelsSearchByName: { call: searched(''), probe: `${tunnels}&q=${TERMS[0]}` },
    tunnelsSearchByNameSortedByName: { call: searched('&sort=name&order=asc'), probe: `${tunnels}&q=${TERMS[0]}&sort=name&order=asc` },
    tunnelsSearchByIp: { call: (i) => ({ path: `${tunnels}&offset=${page(i, 50)}&q=198.51.100.` }), probe: `${tunnels}&q=198.51.100.` },
    tunnelsUnsearchedFirstPage: { call: () => ({ path: tunnels }), probe: tunnels },
    tunnelsUnsearchedDeepOffset: { call: (i) => ({ path: `${tunnels}&offset=${5000 + page(i, 50)}` }), probe: `${tunnels}&offset=5000` },
    tunnelDetail: { call: (i) => ({ path: `/api/v1/vpn-tunnels/${s.tunnelIds[i % s.tunnelIds.length]}` }), probe: '' },
    peersSearchByName: { call: (i) => ({ path: `/api/v1/peer-gateways?limit=20&q=${PARTNERS[i % PARTNERS.length]}` }), probe: `/api/v1/peer-gateways?limit=20&q=${PARTNERS[0]}` },
  };
}

/** Tunnel k: spare gateway k%10, peer (k%10 + k/10)%10 (a Latin square: 20 per gateway and per peer,
 *  consecutive creates on different rows), one local subnet and a unique 192.168.k.0/24 remote.
 *  From k = 100 each gateway/peer pair gets a second tunnel, which needs its own IKE identity
 *  (409 ike_identity_in_use otherwise): every create names a remote id of its own. */
function createCall(s: Seeded): Call {
  return (k) => ({
    method: 'POST', expect: 201, path: '/api/v1/vpn-tunnels',
    body: {
      name: `bench-new-${String(k).padStart(3, '0')}`, gatewayId: s.spareGateways[k % SPARE], peerId: s.sparePeers[(k % SPARE + Math.floor(k / SPARE)) % SPARE],
      localSubnetIds: [s.createSubnetId], remoteCidrs: [`192.168.${k}.0/24`], psk: `Bench.Create-Key.${k}`,
      ikePolicy: { remoteId: `site-${k}.bench.example` },
    },
  });
}

async function main(): Promise<number> {
  checkBuild();
  const { cleanups, cleanup } = cleanupOnExit(log);

  const started = Date.now();
  try {
    const machine = machineInfo();
    const { url, secretsKey, tenantKey, seeded: s } = await seededDatabase('vpn_bench_', { gateways: GATEWAYS, spare: SPARE }, cleanups, log);
    log(`seeded in ${s.seedMs} ms`);
    cleanups.push(async () => {
      // The creates enqueue tunnel.sync jobs on the bench host's queue (no worker runs): remove it.
      const connection = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
      const queue = new Queue(hostQueueName(s.hostId), { connection });
      try {
        await queue.obliterate({ force: true });
      } finally {
        await queue.close();
        connection.disconnect();
      }
    });

    log('starting the API');
    const api = await startApi({
      DATABASE_URL: url, REDIS_URL, SECRETS_KEY: secretsKey.toString('hex'),
      ADMIN_API_KEY: `bench-admin-${randomBytes(16).toString('hex')}`, LOG_LEVEL: 'warn',
    });
    cleanups.push(api.stop);
    const http = new Client(api.base, tenantKey);
    let failures = 0;
    const report = (what: string) => (status: number, text: string) => {
      if (failures++ < 5) log(`${what}: unexpected ${status}: ${text.slice(0, 300)}`);
    };

    const list: Record<string, { matches: number | null; sequential: Figures; concurrent: Figures }> = {};
    for (const [name, { call, probe }] of Object.entries(listScenarios(s))) {
      const matches = probe ? (await http.json<{ total: number }>(probe)).total : null;
      await http.run(50, 4, call, report(name)); // warm-up: JIT, connection pools, PostgreSQL caches
      const sequential = await http.run(SEQUENTIAL, 1, call, report(name));
      const concurrent = await http.run(CONCURRENT, 8, call, report(name));
      list[name] = { matches, sequential, concurrent };
      log(`${name}: matches ${matches ?? '-'}, p99 ${sequential.p99Ms} ms (c=1), ${concurrent.p99Ms} ms (c=8), ${concurrent.perSecond} req/s (c=8)`);
    }

    log('explaining the searched list queries');
    const brief = (e: Explained[]) => Object.fromEntries(e.map((x) => [x.statement, { executionMs: x.executionMs, planningMs: x.planningMs }]));
    const explained = {
      tunnelsSearchByName: await explainList(url, s.tenantId, 'tunnels', { limit: 20, offset: 100, q: TERMS[0] }),
      tunnelsSearchByIp: await explainList(url, s.tenantId, 'tunnels', { limit: 20, offset: 500, q: '198.51.100.' }),
      tunnelsUnsearchedDeepOffset: await explainList(url, s.tenantId, 'tunnels', { limit: 20, offset: 5000 }),
    };
    if (env.BENCH_EXPLAIN === '1') {
      for (const [name, plans] of Object.entries(explained)) {
        for (const p of plans) log(`EXPLAIN ${name} (${p.statement}):\n${p.sql}\n${p.plan.join('\n')}`);
      }
    }

    log(`creating ${CREATES} tunnels at concurrency 4`);
    const create = await http.run(CREATES, 4, createCall(s), report('create'));
    const verify = new Pg({ connectionString: url });
    await verify.connect();
    const v = (await verify.query(`SELECT (SELECT count(*) FROM vpn_tunnels)::int AS tunnels,
        (SELECT count(*) FROM vpn_gateways WHERE id = ANY($1) AND tunnel_count = (SELECT count(*) FROM vpn_tunnels t WHERE t.gateway_id = vpn_gateways.id))::int AS gw_ok,
        (SELECT max(tunnel_count) FROM vpn_gateways)::int AS gmax, (SELECT max(tunnel_count) FROM peer_gateways)::int AS pmax`, [s.spareGateways])).rows[0];
    await verify.end();
    const consistent = v.tunnels === s.tunnels + CREATES - create.errors && v.gw_ok === SPARE && v.gmax <= 20 && v.pmax <= 20;

    const searched = ['tunnelsSearchByName', 'tunnelsSearchByNameSortedByName', 'tunnelsSearchByIp'];
    const worst = (mode: 'sequential' | 'concurrent') => searched.map((n) => ({ scenario: n, p99Ms: list[n][mode].p99Ms })).sort((a, b) => b.p99Ms - a.p99Ms)[0];
    const seqWorst = worst('sequential');
    const concWorst = worst('concurrent');
    const result = {
      tunnelsStored: s.tunnels,
      machine,
      runMs: Date.now() - started,
      seed: { ms: s.seedMs, gateways: GATEWAYS + SPARE, peers: GATEWAYS + SPARE, tunnels: s.tunnels, searchTerms: TERMS },
      list,
      create: { ...create, non201: create.errors, tunnelsAfter: v.tunnels, countsConsistent: consistent },
      explain: Object.fromEntries(Object.entries(explained).map(([n, e]) => [n, brief(e)])),
      target: {
        listSearchP99Ms: TARGET_P99_MS,
        measuredOn: 'worst p99 of the searched tunnel lists at concurrency 1',
        worst: seqWorst,
        met: seqWorst.p99Ms < TARGET_P99_MS,
        atConcurrency8: { worst: concWorst, met: concWorst.p99Ms < TARGET_P99_MS },
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    const listErrors = Object.values(list).reduce((n, x) => n + x.sequential.errors + x.concurrent.errors, 0);
    if (listErrors || create.errors || !consistent) {
      log(`FAILED: ${listErrors} list errors, ${create.errors} failed creates, counts consistent: ${consistent}`);
      return 1;
    }
    if (!result.target.met) log(`target missed: p99 ${seqWorst.p99Ms} ms >= ${TARGET_P99_MS} ms (${seqWorst.scenario})`);
    return !result.target.met && env.BENCH_ENFORCE_TARGET === '1' ? 3 : 0;
  } finally {
    await cleanup();
  }
}

runBench(main, log);
