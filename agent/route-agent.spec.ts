import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, AuthError, DesiredState, Report } from './api-client';
import { Backoff } from './backoff';
import { RouteChange, RouteTable } from './ip-route';
import { RouteAgent } from './route-agent';
import { DesiredRoute, KernelRoute, RouteDelete } from './routes';
import { saveStateFile } from './state-file';

// An in-memory routing table: 'proto' marks ours, foreign routes are listed apart.
class FakeTable implements RouteTable {
  owned = new Map<string, string>();
  foreign: KernelRoute[] = [];
  failVia = new Set<string>();
  calls: string[] = [];
  async list() {
    return { owned: [...this.owned].map(([destination, via]) => ({ destination, via, metric: 0 })), foreign: this.foreign };
  }
  batches = 0;
  async apply(changes: readonly RouteChange[]) {
    this.batches++;
    return changes.map((c) => (c.op === 'replace' ? this.replace(c.route) : this.remove(c.route)));
  }
  private replace(r: DesiredRoute): string | null {
    this.calls.push(`replace ${r.destination}`);
    if (this.failVia.has(r.via)) return `ip route replace ${r.destination}: Error: Nexthop has invalid gateway.`;
    this.owned.set(r.destination, r.via);
    return null;
  }
  private remove(r: RouteDelete): string | null {
    this.calls.push(`del ${r.destination}`);
    this.owned.delete(r.destination);
    return null;
  }
}

class FakeApi {
  state: DesiredState = { version: 'v1', routes: [], pollAfterSeconds: 0 };
  reports: Report[] = [];
  fail: Error | null = null;
  async fetchRoutes() {
    if (this.fail) throw this.fail;
    return this.state;
  }
  async report(r: Report) {
    this.reports.push(r);
  }
}

const r = (destination: string, via = '10.1.1.254') => ({ destination, via });
const dir = mkdtempSync(join(tmpdir(), 'agent-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function make(o: { stateFile?: string } = {}) {
  const table = new FakeTable();
  const api = new FakeApi();
  const lines: string[] = [];
  const agent = new RouteAgent({
    api,
    table,
    agentVersion: '1.0.0',
    waitSeconds: 0,
    stateFile: o.stateFile,
    log: (l) => lines.push(l),
    backoff: new Backoff({ initialMs: 1, maxMs: 2 }),
    authRetryMs: 1,
    minPollIntervalMs: 1,
  });
  return { table, api, lines, agent };
}

describe('RouteAgent.converge', () => {
  it('applies the diff, leaves foreign routes, reports the version and saves the state', async () => {
    const stateFile = join(dir, 's1.json');
    const { table, api, agent } = make({ stateFile });
    table.owned.set('172.16.9.0/24', '10.1.1.254');
    table.foreign = [{ destination: '192.0.2.0/24', via: '10.1.1.1', metric: 0, protocol: '4' }];
    api.state = { version: 'v1', routes: [r('172.16.1.0/24'), r('172.16.2.0/24')], pollAfterSeconds: 0 };
    const res = await agent.runOnce();
    expect(res).toMatchObject({ ok: true, added: ['172.16.1.0/24 via 10.1.1.254', '172.16.2.0/24 via 10.1.1.254'], removed: ['172.16.9.0/24'] });
    expect([...table.owned.keys()].sort()).toEqual(['172.16.1.0/24', '172.16.2.0/24']);
    expect(api.reports).toEqual([{ appliedVersion: 'v1', agentVersion: '1.0.0', error: null }]);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ version: 'v1', routes: [r('172.16.1.0/24'), r('172.16.2.0/24')] });
    // Two additions and a removal in one batch, additions first (no gap on a changed set).
    expect(table.batches).toBe(1);
    expect(table.calls).toEqual(['replace 172.16.1.0/24', 'replace 172.16.2.0/24', 'del 172.16.9.0/24']);

    // Unchanged: no ip commands, no second report.
    table.calls = [];
    await agent.runOnce();
    expect(table.calls).toEqual([]);
    expect(table.batches).toBe(1);
    expect(api.reports).toHaveLength(1);
  });

  it('reports the previous version and what ip said when a route fails, and refuses to take over a foreign destination', async () => {
    const { table, api, agent } = make();
    api.state = { version: 'v1', routes: [r('172.16.1.0/24')], pollAfterSeconds: 0 };
    await agent.runOnce();
    table.failVia.add('10.9.9.9');
    table.foreign = [{ destination: '172.16.3.0/24', via: '10.1.1.1', metric: 0, protocol: '4' }];
    api.state = { version: 'v2', routes: [r('172.16.1.0/24'), r('172.16.2.0/24', '10.9.9.9'), r('172.16.3.0/24')], pollAfterSeconds: 0 };
    const res = await agent.runOnce();
    expect(res.ok).toBe(false);
    expect(table.calls).not.toContain('replace 172.16.3.0/24');
    const last = api.reports[api.reports.length - 1];
    expect(last.appliedVersion).toBe('v1');
    expect(last.error).toMatch(/Nexthop has invalid gateway/);
    expect(last.error).toMatch(/172.16.3.0\/24: a route with protocol 4 already holds/);
  });
});

describe('RouteAgent.start', () => {
  it('keeps routes on network errors and 401, then converges once the API answers', async () => {
    const { table, api, agent, lines } = make();
    table.owned.set('172.16.1.0/24', '10.1.1.254');
    api.fail = new ApiError('GET /api/v1/agent/routes: ECONNREFUSED');
    const running = agent.start();
    await until(() => lines.some((l) => /API unreachable/.test(l)));
    api.fail = new AuthError(401, 'unauthorized: revoked');
    await until(() => lines.some((l) => /refused the agent token/.test(l)));
    expect([...table.owned.keys()]).toEqual(['172.16.1.0/24']);
    api.fail = null;
    api.state = { version: 'v5', routes: [r('172.16.5.0/24')], pollAfterSeconds: 0 };
    await until(() => table.owned.has('172.16.5.0/24') && !table.owned.has('172.16.1.0/24'));
    agent.stop();
    await running;
    expect(lines[lines.length - 1]).toMatch(/stopped; routes left in place/);
    expect(lines.join('\n')).toMatch(/API reachable again/);
  });

  it('restores the last applied routes from the state file while the API is unreachable at start (add-only)', async () => {
    const stateFile = join(dir, 's2.json');
    saveStateFile(stateFile, { version: 'v7', routes: [r('172.16.7.0/24')], appliedAt: '' });
    const { table, api, agent, lines } = make({ stateFile });
    table.owned.set('172.16.8.0/24', '10.1.1.254'); // unknown to the state file: kept, not deleted
    api.fail = new ApiError('down');
    const running = agent.start();
    await until(() => table.owned.has('172.16.7.0/24'));
    expect(table.owned.has('172.16.8.0/24')).toBe(true);
    expect(agent.version.applied).toBe('v7');
    agent.stop();
    await running;
    expect(lines.join('\n')).toMatch(/restored 1 route\(s\) of version v7/);
  });
});

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((res) => setTimeout(res, 5));
  }
}
