// Live-update benchmark (issue 17): what the console's "changed since" poll costs with 1,000 tunnels.
// Each open console tab asks GET /api/v1/changes every 3 s (web/src/components/live.ts) and fetches
// its page again only when a topic moved; the alternative it replaced is fetching the page itself
// on every tick. Both are timed here against the real compiled API and a seeded database.
//
// Run (PostgreSQL and Redis running): npx tsc -p tsconfig.build.json && node dist/bench/live.js
// Prints ONE JSON object on stdout (progress on stderr).
// Environment: BENCH_TUNNELS (1000, a multiple of 20), BENCH_REQUESTS (300 per endpoint),
// BENCH_PG_ADMIN_URL, BENCH_REDIS_URL.
import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { Client } from 'pg';
import { REDIS_URL, cleanupOnExit, machineInfo, runBench } from './support/bench-env';
import { seededDatabase, TUNNELS_PER_GATEWAY } from './support/seed';
import { checkBuild, startApi } from './support/server';

const env = process.env;
const TUNNELS = Number(env.BENCH_TUNNELS ?? 1000);
const REQUESTS = Number(env.BENCH_REQUESTS ?? 300);
const POLL_S = 3;
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** User + system CPU of a process in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function timed(base: string, path: string, key: string, pid: number) {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 20; i++) await (await fetch(base + path, { headers: { Authorization: `Bearer ${key}` } })).arrayBuffer(); // warm-up
  const cpu0 = cpuMs(pid);
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await fetch(base + path, { headers: { Authorization: `Bearer ${key}`, 'Accept-Encoding': 'identity' } });
    const body = await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    bytes = body.byteLength;
  }
  const apiCpuMsPerRequest = (cpuMs(pid) - cpu0) / REQUESTS;
  const s = [...ms].sort((a, b) => a - b);
  return {
    path,
    requests: REQUESTS,
    bodyBytes: bytes,
    p50Ms: round(pct(s, 50)),
    p95Ms: round(pct(s, 95)),
    maxMs: round(s[s.length - 1]),
    apiCpuMsPerRequest: round(apiCpuMsPerRequest),
    perTabPerHour: { requests: 3600 / POLL_S, bodyKb: Math.round(((3600 / POLL_S) * bytes) / 1024) },
    apiCpuShareFor100Tabs: `${round(((100 / POLL_S) * apiCpuMsPerRequest) / 10, 1)} % of one core`,
  };
}

async function main(): Promise<number> {
  checkBuild();
  if (TUNNELS % TUNNELS_PER_GATEWAY) throw new Error(`BENCH_TUNNELS must be a multiple of ${TUNNELS_PER_GATEWAY}`);
  const { cleanups, cleanup } = cleanupOnExit(log);
  try {
    const { url, secretsKey, tenantKey } = await seededDatabase('vpn_bench_live_', { gateways: TUNNELS / TUNNELS_PER_GATEWAY, spare: 0 }, cleanups, log);
    const api = await startApi({
      DATABASE_URL: url,
      REDIS_URL,
      SECRETS_KEY: secretsKey.toString('hex'),
      ADMIN_API_KEY: `bench-admin-${randomBytes(16).toString('hex')}`,
      LOG_LEVEL: 'warn',
      ALERT_EVALUATION_INTERVAL_MS: '0',
    });
    cleanups.push(api.stop);

    log(`timing ${REQUESTS} x GET /api/v1/changes and ${REQUESTS} x the list page it replaces`);
    const changes = await timed(api.base, '/api/v1/changes', tenantKey, api.pid);
    const listPage = await timed(api.base, '/api/v1/vpn-tunnels?offset=0&limit=20', tenantKey, api.pid);

    // The database's own share: the aggregate query alone, straight on PostgreSQL.
    const db = new Client({ connectionString: url });
    await db.connect();
    cleanups.push(() => db.end());
    const [{ id: tenantId }] = (await db.query('SELECT tenant_id AS id FROM vpn_tunnels LIMIT 1')).rows;
    const plan = (await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*), max(updated_at) FROM vpn_tunnels WHERE tenant_id = $1`, [tenantId])).rows[0][
      'QUERY PLAN'
    ][0];

    // A state change reaches a tab within one poll: the worst case is one interval plus one refetch.
    const result = {
      bench: 'console-live-updates',
      mechanism: `"changed since" poll: GET /api/v1/changes every ${POLL_S} s per visible tab; the page refetches only when its topic moved`,
      tunnels: TUNNELS,
      changes,
      listPageEveryTick: listPage,
      tunnelsAggregateSql: { planningMs: plan['Planning Time'], executionMs: plan['Execution Time'] },
      worstCaseDelayMs: Math.round(POLL_S * 1000 + changes.p95Ms + listPage.p95Ms),
      machine: machineInfo(),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await cleanup();
  }
}

runBench(main, log);
