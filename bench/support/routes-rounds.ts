// One measured round of the route benchmark: the tunnel becomes connected with a fresh remote CIDR
// (the worker's state write, done here in SQL, then its Redis notification), and we time until
// every instance's agent reported the route set the API now computes; then the tunnel goes down
// past its hold-down and we time the withdrawal the same way.
import { readFileSync } from 'fs';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { desiredRoutes, RoutingSubnet, RoutingTunnel } from '../../src/routes/desired-routes';
import { publishRoutesChanged } from '../../src/routes/route-notifier';
import { run } from '../../src/negotiation/host/exec';
import { Fleet, procCpuMs } from './routes-fleet';
import { percentile, round, summary } from './proc-stats';

// src/routes/routes.service.ts ROUTE_HOLD_DOWN_MS (not imported: that module pulls in the Nest app).
const HOLD_DOWN_MS = 60_000;

export interface RoundContext {
  fleet: Fleet;
  pg: Client;
  redis: IORedis;
  apiPid: number;
  vpcId: string;
  subnets: RoutingSubnet[];
  tunnel: RoutingTunnel; // its fixed parts: gateway, local subnet
  pollMs: number;
  settleMs: number;
  timeoutMs: number;
  verifySample: number;
  explainMs: number; // a phase slower than this records its slowest agent's log lines
}

export interface Phase {
  ms: number; // t0 (before the UPDATE) -> our poll saw every target at the expected version
  lastReportMs: number; // t0 -> the API's timestamp of the last report (no polling granularity)
  reportMs: { p50: number; max: number }; // per agent: t0 -> its report
  appliedLogMs: { p50: number; max: number } | null; // per agent: t0 -> its "applied version" log line
  apiCpuMs: number | null; // CPU the API process used between t0 and completion
  agentCpuMs: number | null;
  slowest?: { agent: string; reportMs: number; log: string[] }; // only for phases slower than explainMs
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function expectedVersion(c: RoundContext, remoteCidr: string | null): string {
  const t: RoutingTunnel = remoteCidr
    ? { ...c.tunnel, remoteCidrs: [remoteCidr], connectionState: 'connected', disconnectedAt: null }
    : { ...c.tunnel, connectionState: 'phase1_failed', disconnectedAt: new Date(Date.now() - 3600_000) };
  const subnetId = c.tunnel.localSubnetIds[0];
  return desiredRoutes({ kind: 'instance', subnetId }, [t], c.subnets, new Date(), HOLD_DOWN_MS).version;
}

/** Waits until every instance target of the fleet reports `version`; throws on an agent error or timeout. */
export async function waitForVersion(
  c: RoundContext,
  version: string,
  sinceWall: number,
  t0: number,
): Promise<{ ms: number; reportsMs: number[]; names: string[] }> {
  const ids = c.fleet.instances.map((i) => i.targetId);
  for (;;) {
    const { rows } = await c.pg.query<{ name: string; ok: boolean; last_error: string | null; rep: string | null }>(
      `SELECT i.name, a.applied_version = $2 AS ok, a.last_error, extract(epoch FROM a.last_report_at) * 1000 AS rep
         FROM agent_targets a JOIN instances i ON i.id = a.instance_id WHERE a.id = ANY($1)`,
      [ids, version],
    );
    const now = performance.now();
    if (rows.length === ids.length && rows.every((r) => r.ok)) {
      return { ms: now - t0, reportsMs: rows.map((r) => Number(r.rep) - sinceWall), names: rows.map((r) => r.name) };
    }
    const failed = rows.find((r) => r.last_error);
    if (failed) throw new Error(`agent ${failed.name} reported an error: ${failed.last_error}`);
    if (now - t0 > c.timeoutMs) {
      const missing = rows.filter((r) => !r.ok).map((r) => r.name);
      throw new Error(`${missing.length} agents did not apply version ${version} within ${c.timeoutMs} ms: ${missing.slice(0, 10).join(', ')}`);
    }
    await sleep(c.pollMs);
  }
}

/** The instant each agent logged "applied version <v>" (its routes in the kernel, before the report). */
function appliedLogMs(c: RoundContext, version: string, sinceWall: number): number[] | null {
  const out: number[] = [];
  const needle = ` applied version ${version} `;
  for (const i of c.fleet.instances) {
    let text: string;
    try {
      text = readFileSync(i.agent.logFile, 'utf8');
    } catch {
      return null;
    }
    const at = text
      .split('\n')
      .filter((l) => l.includes(needle))
      .map((l) => Date.parse(l.slice(0, 24)))
      .filter((t) => t >= sinceWall - 5);
    if (!at.length) return null;
    out.push(at[0] - sinceWall);
  }
  return out;
}

/** `ip -n <ns> route show proto 201` of a few instances must be exactly `expected`. */
async function verify(c: RoundContext, expected: string[]): Promise<number> {
  const n = c.fleet.instances.length;
  const picks = new Set([0, n - 1]);
  while (picks.size < Math.min(n, c.verifySample)) picks.add(Math.floor(Math.random() * n));
  for (const k of picks) {
    const ns = c.fleet.instances[k].namespace;
    const { stdout } = await run('ip', ['-n', ns, '-j', 'route', 'show', 'proto', '201']);
    const got = (JSON.parse(stdout || '[]') as { dst: string; gateway?: string }[]).map((r) => `${r.dst} via ${r.gateway}`).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected))
      throw new Error(`${ns}: routes of proto 201 are ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }
  return picks.size;
}

/**
 * What the worker does when the tunnel connects (with `remoteCidr` as its remote subnet) or, with
 * null, fails past the hold-down: its state write, then the Redis notification.
 */
export async function changeTunnel(c: RoundContext, remoteCidr: string | null): Promise<void> {
  if (remoteCidr) {
    await c.pg.query(
      `UPDATE vpn_tunnels SET remote_cidrs = ARRAY[$2]::varchar[], connection_state = 'connected', resource_state = 'running',
        connected_at = now(), disconnected_at = NULL, failure_code = NULL, failure_message = NULL, updated_at = now() WHERE id = $1`,
      [c.tunnel.id, remoteCidr],
    );
  } else {
    await c.pg.query(
      `UPDATE vpn_tunnels SET connection_state = 'phase1_failed', disconnected_at = now() - interval '1 hour',
        failure_code = 'bench', failure_message = 'bench: withdrawn', updated_at = now() WHERE id = $1`,
      [c.tunnel.id],
    );
  }
  await publishRoutesChanged(c.redis, c.vpcId);
}

async function phase(c: RoundContext, remoteCidr: string | null, version: string, expectedRoutes: string[]): Promise<{ p: Phase; verified: number }> {
  const api0 = procCpuMs(c.apiPid);
  const agents0 = c.fleet.agentCpuMs();
  const wall0 = Date.now();
  const t0 = performance.now();
  await changeTunnel(c, remoteCidr);
  const done = await waitForVersion(c, version, wall0, t0);
  const api1 = procCpuMs(c.apiPid);
  const agents1 = c.fleet.agentCpuMs();
  const verified = await verify(c, expectedRoutes);
  await sleep(c.settleMs); // the agents' next long polls are parked again, as before a real change
  const applied = appliedLogMs(c, version, wall0);
  let slowest: Phase['slowest'];
  if (done.ms > c.explainMs) {
    const k = done.reportsMs.indexOf(Math.max(...done.reportsMs));
    const agent = c.fleet.instances.find((i) => i.name === done.names[k])!;
    let lines: string[] = [];
    try {
      lines = readFileSync(agent.agent.logFile, 'utf8')
        .split('\n')
        .filter((l) => Date.parse(l.slice(0, 24)) >= wall0 - 40_000);
    } catch {
      // no log
    }
    slowest = { agent: agent.name, reportMs: round(done.reportsMs[k]), log: lines.slice(-12) };
    log(`slow phase (${round(done.ms)} ms): ${agent.name} reported at ${slowest.reportMs} ms; its log since t0 - 40 s:\n  ${slowest.log.join('\n  ')}`);
  }
  return {
    verified,
    p: {
      ms: round(done.ms),
      lastReportMs: round(Math.max(...done.reportsMs)),
      reportMs: { p50: round(percentile(done.reportsMs, 50)), max: round(Math.max(...done.reportsMs)) },
      appliedLogMs: applied ? { p50: round(percentile(applied, 50)), max: round(Math.max(...applied)) } : null,
      apiCpuMs: api0 !== null && api1 !== null ? round(api1 - api0) : null,
      agentCpuMs: agents0 !== null && agents1 !== null ? round(agents1 - agents0) : null,
      slowest,
    },
  };
}

/** `rounds` connect/withdraw cycles; remote CIDRs 172.20.<base + r>.0/24, fresh in every round. */
export async function measure(c: RoundContext, rounds: number, base: number, afterApply?: (cidr: string, version: string) => Promise<void>) {
  const apply: Phase[] = [];
  const withdraw: Phase[] = [];
  let verified = 0;
  const via = c.tunnel.gatewayPrivateIp;
  for (let r = 0; r < rounds; r++) {
    const cidr = `172.20.${base + r}.0/24`;
    const up = await phase(c, cidr, expectedVersion(c, cidr), [`${cidr} via ${via}`]);
    await afterApply?.(cidr, expectedVersion(c, cidr));
    const down = await phase(c, null, expectedVersion(c, null), []);
    apply.push(up.p);
    withdraw.push(down.p);
    verified += up.verified + down.verified;
    log(
      `round ${r + 1}/${rounds}: ${cidr} applied in ${up.p.ms} ms (last report ${up.p.lastReportMs} ms), withdrawn in ${down.p.ms} ms (last report ${down.p.lastReportMs} ms)`,
    );
  }
  return { apply: figures(apply), withdraw: figures(withdraw), namespacesVerified: verified };
}

function figures(ps: Phase[]) {
  const ms = ps.map((p) => p.ms);
  const s = summary(ms);
  const mean = (xs: (number | null)[]) => (xs.every((x) => x !== null) ? round((xs as number[]).reduce((a, b) => a + b, 0) / xs.length) : null);
  return {
    p50Ms: s.p50,
    p95Ms: s.p95,
    maxMs: s.max,
    minMs: s.min,
    meanMs: s.mean,
    samplesMs: ms.map((x) => Math.round(x)),
    lastReportMs: summary(ps.map((p) => p.lastReportMs)),
    perAgent: {
      reportP50Ms: summary(ps.map((p) => p.reportMs.p50)).p50,
      appliedLogP50Ms: ps.every((p) => p.appliedLogMs) ? summary(ps.map((p) => p.appliedLogMs!.p50)).p50 : null,
      appliedLogMaxMs: ps.every((p) => p.appliedLogMs) ? summary(ps.map((p) => p.appliedLogMs!.max)).p50 : null,
    },
    meanCpuMsDuringPhase: { api: mean(ps.map((p) => p.apiCpuMs)), agents: mean(ps.map((p) => p.agentCpuMs)) },
    slowPhases: ps.flatMap((p, round) => (p.slowest ? [{ round: round + 1, ms: p.ms, ...p.slowest }] : [])),
  };
}
