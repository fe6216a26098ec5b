// Where a round's time goes, measured apart (no agents running):
//  - serverFanOut: the API alone. One long poll per instance token, parked on the current version,
//    as the agents' are; then the tunnel change; time until each poll has its answer.
//  - ipWork: the agents' kernel work alone. Per instance what an agent does for a change: list
//    its routes and the table (two `ip -j route show`) and add or delete one route, all instances at
//    once from this process (as the library agents do), through the agent's own IpRouteTable.
import { readFileSync } from 'fs';
import { IpRouteTable } from '../../agent';
import { ip } from '../../agent/ip-route';
import { percentile, round } from './proc-stats';
import { changeTunnel, expectedVersion, RoundContext } from './routes-rounds';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spread(values: number[]) {
  return { p50Ms: round(percentile(values, 50)), maxMs: round(Math.max(...values)) };
}

async function longPoll(apiUrl: string, token: string, version: string): Promise<{ at: number; version: string }> {
  const res = await fetch(`${apiUrl}/api/v1/agent/routes?version=${version}&wait=25`, { headers: { Authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { version?: string };
  if (res.status !== 200 || !body.version) throw new Error(`long poll: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { at: performance.now(), version: body.version };
}

/** `rounds` x (connect, withdraw); per phase: the last and the median answer, ms after the UPDATE. */
export async function serverFanOut(c: RoundContext, rounds: number, base: number) {
  const apiUrl = c.fleet.instances[0].agent.apiUrl;
  const tokens = c.fleet.instances.map((i) => readFileSync(i.agent.tokenFile, 'utf8').trim());
  const last: number[] = [];
  const median: number[] = [];
  let version = expectedVersion(c, null);
  for (let r = 0; r < rounds; r++) {
    for (const cidr of [`172.20.${base + r}.0/24`, null]) {
      const next = expectedVersion(c, cidr);
      const polls = tokens.map((t) => longPoll(apiUrl, t, version));
      await sleep(1000); // all parked
      const t0 = performance.now();
      await changeTunnel(c, cidr);
      const got = await Promise.all(polls);
      const wrong = got.filter((g) => g.version !== next).length;
      if (wrong) throw new Error(`${wrong} long polls answered another version than ${next}`);
      const ms = got.map((g) => g.at - t0);
      last.push(Math.max(...ms));
      median.push(percentile(ms, 50));
      version = next;
    }
  }
  return { polls: tokens.length, phases: last.length, lastAnswerMs: spread(last), medianAnswerMs: spread(median) };
}

/**
 * `repeats` x (add one route in every namespace, then delete it), each step all namespaces at once.
 * oneListAddAllMs: the same add with one listing (`ip -N -j route show` holds the protocol of every
 * route, ours included) instead of the agent's two: what two `ip` runs per change would cost.
 */
export async function ipWork(c: RoundContext, repeats: number) {
  const tables = c.fleet.instances.map((i) => new IpRouteTable(201, i.namespace));
  const route = { destination: '172.21.0.0/24', via: c.tunnel.gatewayPrivateIp };
  const add: number[] = [];
  const del: number[] = [];
  const oneList: number[] = [];
  for (let k = 0; k < repeats; k++) {
    let t0 = performance.now();
    await Promise.all(tables.map(async (t) => {
      await t.list();
      await t.replace(route);
    }));
    add.push(performance.now() - t0);
    t0 = performance.now();
    await Promise.all(tables.map(async (t) => {
      await t.list();
      await t.remove({ destination: route.destination, metric: 0 });
    }));
    del.push(performance.now() - t0);
    t0 = performance.now();
    await Promise.all(tables.map(async (t) => {
      await ip(['-n', t.netns!, '-N', '-j', 'route', 'show']);
      await t.replace(route);
    }));
    oneList.push(performance.now() - t0);
    await Promise.all(tables.map((t) => t.remove({ destination: route.destination, metric: 0 })));
  }
  return { namespaces: tables.length, ipCallsPerStep: tables.length * 3, addAllMs: spread(add), deleteAllMs: spread(del), oneListAddAllMs: spread(oneList) };
}
