// The route agent for real (agent/route_agent.py under python3, real netlink, real namespaces) against a
// fake API served from this test: convergence, foreign routes left alone, outages, 401, restarts;
// then the lab running one agent per instance and VPC router.
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../lab/lab';
import { run } from '../src/negotiation/host/exec';
import { ensureNamespace, removeNamespace } from '../src/negotiation/host/gateway-namespace';
import { isAlive } from '../src/negotiation/host/process-files';
import { FakeAgentApi } from './support/agent-fake-api';
import { AgentProcess, createTestNetwork, monitorRoutes, routeLines, spawnAgent, TestNetwork } from './support/agent-netns';
import { forceCleanupPrefix, killIfAlive, tempDir, uniqueLabPrefix, waitFor, withTimeout } from './support/lab-fixtures';

jest.setTimeout(120_000);

const dir = tempDir('agent-e2e');
const api = new FakeAgentApi();
const A = 'instance:a'; // the fake API's target of agent A
const agents: AgentProcess[] = [];
let net: TestNetwork;
let agentA: AgentProcess;

const file = (name: string) => join(dir, name);
const r = (destination: string, via = '10.99.0.2') => ({ destination, via });
const lines = (...routes: { destination: string; via: string }[]) => routes.map((x) => `${x.destination} via ${x.via}`).sort();
const ours = () => routeLines(net.ns, 201);

function writeToken(path: string, token: string): void {
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function startA(): AgentProcess {
  agentA = spawnAgent({
    apiUrl: api.url,
    tokenFile: file('a.token'),
    stateFile: file('a.json'),
    netns: net.ns,
    logFile: file('a.log'),
    extra: ['--wait', '5', '--auth-retry', '1'],
  });
  agents.push(agentA);
  return agentA;
}

async function expectRoutes(want: string[], timeoutMs = 10_000): Promise<void> {
  await waitFor(`routes ${want.join(', ')}`, async () => JSON.stringify(await ours()) === JSON.stringify(want), timeoutMs, 100);
}

const reportOf = (target: string, version: string) =>
  waitFor(`a report of ${version}`, async () => api.reportsFor(target).find((x) => x.appliedVersion === version && x.error === null));
const foreignSurvives = async () => expect(await routeLines(net.ns)).toContain('192.0.2.0/24 via 10.99.0.2 proto 4');

beforeAll(async () => {
  await api.start();
  net = await createTestNetwork();
});

afterAll(async () => {
  for (const a of agents) await a.stop('SIGKILL').catch(() => undefined);
  await api.stop();
  await net?.remove();
  if (!process.env.KEEP_E2E_DIR) rmSync(dir, { recursive: true, force: true });
});

describe('route agent against a fake API', () => {
  test('converges at start: desired routes with proto 201, stale ones of ours removed, foreign kept; reports', async () => {
    await run('ip', ['-n', net.ns, 'route', 'add', '192.0.2.0/24', 'via', '10.99.0.2', 'proto', 'static']);
    await run('ip', ['-n', net.ns, 'route', 'add', '198.18.0.0/24', 'via', '10.99.0.2', 'proto', '201']); // left from earlier
    const token = api.issueToken(A);
    const v = api.setRoutes(A, [r('172.16.1.0/24'), r('172.16.2.0/24')]);
    writeToken(file('a.token'), token);
    startA();
    await expectRoutes(lines(r('172.16.1.0/24'), r('172.16.2.0/24')));
    await foreignSurvives();
    const report = await reportOf(A, v);
    expect(report.header).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.agentVersion).toBe(report.header);
    expect(JSON.parse(readFileSync(file('a.json'), 'utf8'))).toMatchObject({ version: v, routes: [r('172.16.1.0/24'), r('172.16.2.0/24')] });
    // The token is in neither the command line nor the log.
    expect(readFileSync(`/proc/${agentA.pid}/cmdline`, 'utf8')).not.toContain(token);
    expect(agentA.log()).not.toContain(token);
  });

  test('a change adds, changes and removes exactly the routes that changed, within the long poll', async () => {
    const events = await monitorRoutes(net.ns, async () => {
      const t0 = Date.now();
      api.setRoutes(A, [r('172.16.1.0/24', '10.99.0.3'), r('172.16.3.0/24')]);
      await expectRoutes(lines(r('172.16.1.0/24', '10.99.0.3'), r('172.16.3.0/24')));
      expect(Date.now() - t0).toBeLessThan(4000); // the held request answered at once (wait is 5 s)
    });
    const touched = new Set(events.map((e) => /(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(e)?.[1]));
    expect([...touched].sort()).toEqual(['172.16.1.0/24', '172.16.2.0/24', '172.16.3.0/24']);
    expect(events.some((e) => /^Deleted 172\.16\.2\.0\/24/.test(e))).toBe(true);
    await foreignSurvives();
    await reportOf(A, api.version(A));
  });

  test('a route ip refuses and a destination held by a foreign route: error reported, previous version kept', async () => {
    const good = api.version(A);
    const bad = api.setRoutes(A, [r('172.16.1.0/24', '10.99.0.3'), r('172.16.3.0/24'), r('192.0.2.0/24', '10.99.0.3'), r('172.16.4.0/24', '10.98.0.9')]);
    const report = await waitFor('the failure report', async () => api.reportsFor(A).find((x) => x.error && x.appliedVersion === good));
    expect(report.error).toMatch(/192\.0\.2\.0\/24: a route with protocol 4 already holds this destination/);
    expect(report.error).toMatch(/ip -n \S+ route replace 172\.16\.4\.0\/24 via 10\.98\.0\.9 proto 201: .*(Nexthop has invalid gateway|unreachable)/i);
    await foreignSurvives();
    expect(agentA.log()).toMatch(new RegExp(`version ${bad} not fully applied`));
    const fixed = api.setRoutes(A, [r('172.16.1.0/24', '10.99.0.3'), r('172.16.3.0/24')]);
    await reportOf(A, fixed);
  });

  test('the API going away keeps the routes; once back, the agent catches up (back-off)', async () => {
    const before = await ours();
    await api.stop();
    await waitFor('two failed tries', async () => (agentA.log().match(/API unreachable/g) ?? []).length >= 2, 15_000);
    expect(await ours()).toEqual(before);
    const v = api.setRoutes(A, [r('172.16.1.0/24', '10.99.0.3'), r('172.16.5.0/24')]);
    await api.start();
    await expectRoutes(lines(r('172.16.1.0/24', '10.99.0.3'), r('172.16.5.0/24')), 40_000);
    await reportOf(A, v);
    expect(agentA.log()).toMatch(/API reachable again after \d+ failed tries/);
  });

  test('a revoked token (401) keeps the routes; a rotated token in the file is picked up', async () => {
    const before = await ours();
    api.revoke(readFileSync(file('a.token'), 'utf8').trim());
    await waitFor('the 401 in the log', async () => (agentA.log().match(/refused the agent token/g) ?? []).length >= 2, 10_000);
    expect(await ours()).toEqual(before);
    expect(agentA.log()).toMatch(/HTTP 401: unauthorized/);
    writeToken(file('a.token'), api.issueToken(A));
    const v = api.setRoutes(A, [r('172.16.5.0/24'), r('172.16.6.0/24')]);
    await expectRoutes(lines(r('172.16.5.0/24'), r('172.16.6.0/24')));
    await reportOf(A, v);
  });

  test('an agent stopped while the desired set changed converges when it starts again', async () => {
    expect(await agentA.stop('SIGTERM')).toBe(0);
    expect(agentA.log()).toMatch(/stopped; routes left in place/);
    expect(await ours()).toEqual(lines(r('172.16.5.0/24'), r('172.16.6.0/24')));
    const v = api.setRoutes(A, [r('172.16.6.0/24'), r('172.16.7.0/24')]);
    startA();
    await expectRoutes(lines(r('172.16.6.0/24'), r('172.16.7.0/24')));
    await foreignSurvives();
    await reportOf(A, v);
  });

  test('started while the API is down (an instance reboot): routes come back from the state file', async () => {
    await agentA.stop('SIGTERM');
    await run('ip', ['-n', net.ns, 'route', 'flush', 'proto', '201']);
    await api.stop();
    startA();
    await expectRoutes(lines(r('172.16.6.0/24'), r('172.16.7.0/24')));
    expect(agentA.log()).toMatch(/restored 2 route\(s\) of version v\d+ from the state file/);
    await foreignSurvives();
    await api.start();
  });

  test('a second agent with an unknown token keeps its routes; given a valid one it converges', async () => {
    const B = 'instance:b';
    await run('ip', ['-n', net.peer, 'route', 'add', '172.16.50.0/24', 'via', '10.99.0.1', 'proto', '201']);
    writeToken(file('b.token'), 'agt_never_issued');
    const b = spawnAgent({
      apiUrl: api.url,
      tokenFile: file('b.token'),
      stateFile: file('b.json'),
      netns: net.peer,
      logFile: file('b.log'),
      extra: ['--auth-retry', '1'],
    });
    agents.push(b);
    await waitFor('the 401', async () => (b.log().match(/refused the agent token/g) ?? []).length >= 2, 10_000);
    expect(await routeLines(net.peer, 201)).toEqual(['172.16.50.0/24 via 10.99.0.1']);
    const token = api.issueToken(B);
    const v = api.setRoutes(B, [r('172.16.60.0/24', '10.99.0.1')]);
    writeToken(file('b.token'), token);
    await waitFor('B converged', async () => JSON.stringify(await routeLines(net.peer, 201)) === JSON.stringify(['172.16.60.0/24 via 10.99.0.1']));
    await reportOf(B, v);
    // A was not disturbed by B.
    expect(await ours()).toEqual(lines(r('172.16.6.0/24'), r('172.16.7.0/24')));
  });

  test('an agent beside a namespace that is removed stops by itself', async () => {
    const ns = `${net.ns}-c`;
    await ensureNamespace(ns);
    try {
      const c = spawnAgent({ apiUrl: api.url, tokenFile: file('b.token'), stateFile: file('c.json'), netns: ns, logFile: file('c.log') });
      agents.push(c);
      await waitFor('C polling', async () => /version v\d+/.test(c.log())); // B's routes: not on-link here, reported
      await removeNamespace(ns);
      expect(await withTimeout(c.exited(), 10_000, 'agent C to exit')).toBe(0);
      expect(c.log()).toMatch(/namespace \S+ is gone: stopping/);
    } finally {
      await removeNamespace(ns);
    }
  });
});

describe('the lab runs an agent per instance and VPC router', () => {
  const prefix = uniqueLabPrefix('la');
  const labApi = new FakeAgentApi();
  let lab: Lab;
  const pids = new Set<number>();

  beforeAll(async () => {
    await labApi.start();
    lab = new Lab({ prefix, stateDir: join(dir, 'lab'), api: { baseUrl: labApi.url, adminKey: 'admin-for-the-fake-api' } });
    mkdirSync(join(dir, 'lab'), { recursive: true });
  });

  afterAll(async () => {
    try {
      await lab.down();
    } finally {
      await forceCleanupPrefix(prefix);
      pids.forEach((p) => killIfAlive(p));
      await labApi.stop();
    }
  });

  const names = ['demo-vpc-a', 'vm-a1', 'vm-a2', 'vm-b1', 'demo-vpc-c', 'vm-c1'];

  test('up starts them, leaves running ones alone, restarts dead ones, rotates only a missing token', async () => {
    const { inventory, warnings } = await lab.up();
    expect(warnings).toEqual([]);
    const first = Object.fromEntries(names.map((n) => [n, lab.agentPid(n)]));
    Object.values(first).forEach((p) => (expect(p).toBeGreaterThan(1), pids.add(p!)));
    for (const n of names) expect(statSync(join(dir, 'lab', 'agents', `${n}.token`)).mode & 0o777).toBe(0o600);
    expect(labApi.issued).toHaveLength(6);

    const vmA1 = `instance:${inventory.vpcs[0].subnets[0].instances[0].id}`;
    const vpcA = `vpc:${inventory.vpcs[0].id}`;
    labApi.setRoutes(vmA1, [r('172.16.1.0/24', '10.1.1.254')]);
    labApi.setRoutes(vpcA, [r('172.16.1.0/24', '10.1.1.254')]);
    await waitFor('the instance route', async () => (await routeLines(`${prefix}-vm-vm-a1`, 201)).includes('172.16.1.0/24 via 10.1.1.254'));
    await waitFor('the VPC router route', async () => (await routeLines(`${prefix}-${inventory.vpcs[0].id}`, 201)).includes('172.16.1.0/24 via 10.1.1.254'));

    await lab.up();
    expect(Object.fromEntries(names.map((n) => [n, lab.agentPid(n)]))).toEqual(first);
    process.kill(first['vm-a2']!, 'SIGKILL');
    process.kill(first['vm-b1']!, 'SIGKILL');
    rmSync(join(dir, 'lab', 'agents', 'vm-b1.token'));
    await waitFor('the killed agents gone', async () => !isAlive(first['vm-a2']!) && !isAlive(first['vm-b1']!));
    await lab.up();
    expect(lab.agentPid('vm-a2')).not.toBe(first['vm-a2']);
    expect(lab.agentPid('vm-b1')).not.toBe(first['vm-b1']);
    expect(labApi.issued.map((i) => i.target)).toHaveLength(7); // only vm-b1's token was rotated
    names.forEach((n) => pids.add(lab.agentPid(n)!));
    expect(lab.agentStatus().every((a) => a.alive && a.lastLog)).toBe(true);
  });

  test('an agent stopped during a change converges on restart; down stops them all', async () => {
    const inventory = (await lab.status()).inventory!;
    const vmA1 = `instance:${inventory.vpcs[0].subnets[0].instances[0].id}`;
    await lab.stopAgent('vm-a1');
    expect(lab.agentPid('vm-a1')).toBeNull();
    labApi.setRoutes(vmA1, [r('172.16.2.0/24', '10.1.1.254')]);
    pids.add(await lab.startAgent('vm-a1'));
    await waitFor('vm-a1 converged', async () => JSON.stringify(await routeLines(`${prefix}-vm-vm-a1`, 201)) === '["172.16.2.0/24 via 10.1.1.254"]');
    await lab.down();
    for (const p of pids) expect(isAlive(p)).toBe(false);
    expect(() => statSync(join(dir, 'lab', 'agents'))).toThrow();
  });
});
