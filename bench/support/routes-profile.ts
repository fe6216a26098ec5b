// Where a round's time goes, measured apart (no agents running):
//  - serverFanOut: the API alone. One long poll per instance token, parked on the current version,
//    as the agents' are; then the tunnel change; time until each poll has its answer.
//  - netlinkAlone: the bare kernel work. One process (netlink-routes.py, Debian's python3) adds,
//    then deletes, the route in every namespace through one netlink socket per namespace: no `ip`
//    process, no HTTP. Fan-out + this is the floor a change can reach.
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { percentile, round } from './proc-stats';
import { agentInterpreter } from '../../lab/lab-agents';
import { ROOT } from './server';
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

const NETLINK_SCRIPT = join(ROOT, 'bench', 'support', 'netlink-routes.py');

function netlinkAll(op: 'add' | 'del', cidr: string, via: string, namespaces: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(agentInterpreter(), [NETLINK_SCRIPT, op, cidr, via, '201', ...namespaces], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`netlink-routes.py ${op}: ${stderr || stdout || error.message}`));
      resolve((JSON.parse(stdout) as { ms: number }).ms);
    });
  });
}

/** `repeats` x (add one route in every namespace, then delete it) from one netlink process, its own timing (startup excluded: an agent is a running process). */
export async function netlinkAlone(c: RoundContext, repeats: number) {
  const namespaces = c.fleet.instances.map((i) => i.namespace);
  const add: number[] = [];
  const del: number[] = [];
  for (let k = 0; k < repeats; k++) {
    add.push(await netlinkAll('add', '172.21.1.0/24', c.tunnel.gatewayPrivateIp, namespaces));
    del.push(await netlinkAll('del', '172.21.1.0/24', c.tunnel.gatewayPrivateIp, namespaces));
  }
  return { namespaces: namespaces.length, processesPerStep: 1, addAllMs: spread(add), deleteAllMs: spread(del) };
}
