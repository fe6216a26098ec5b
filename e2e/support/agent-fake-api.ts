// A stand-in for the console API, as route agents and the lab see it: the agent contract (long
// poll, reports on the poll or POSTed, 401 for unknown tokens), token issuance for instances and VPC routers, and a
// permissive inventory (a create is stored with a new id, a list returns every stored item of
// that resource) so `Lab.up()` runs and a second `up` finds what the first created.
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export interface FakeRoute {
  destination: string;
  via: string;
}

export interface ReceivedReport {
  target: string;
  appliedVersion: string;
  agentVersion: string;
  error: string | null;
  header: string | undefined; // X-Agent-Version
}

interface Target {
  version: number;
  routes: FakeRoute[];
}

interface Waiter {
  token: string;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

export class FakeAgentApi {
  port = 0;
  readonly reports: ReceivedReport[] = [];
  readonly issued: { target: string; token: string }[] = [];
  readonly routeRequests: { target: string; query: string }[] = [];
  private readonly targets = new Map<string, Target>();
  private readonly tokens = new Map<string, string>(); // token -> target
  private waiters: Waiter[] = [];
  private readonly inventory = new Map<string, Record<string, unknown>[]>();
  private server: Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  // Listens on a random port the first time, on the same port after a stop.
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res).catch(() => send(res, 500, { code: 'internal' })));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  // Like a crashed API: held polls and open connections are cut.
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  issueToken(target: string): string {
    for (const [t, owner] of this.tokens) if (owner === target) this.tokens.delete(t); // rotation
    const token = `agt_${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, target);
    this.issued.push({ target, token });
    if (!this.targets.has(target)) this.targets.set(target, { version: 1, routes: [] });
    return token;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
    for (const w of this.waiters.filter((x) => x.token === token)) this.answer(w, 401, { code: 'unauthorized', message: 'agent token revoked' });
  }

  setRoutes(target: string, routes: FakeRoute[]): string {
    const t = this.targets.get(target) ?? { version: 0, routes: [] };
    t.version++;
    t.routes = routes;
    this.targets.set(target, t);
    for (const w of this.waiters.filter((x) => this.tokens.get(x.token) === target)) this.answer(w, 200, this.body(t));
    return `v${t.version}`;
  }

  version(target: string): string {
    return `v${this.targets.get(target)?.version ?? 0}`;
  }

  reportsFor(target: string): ReceivedReport[] {
    return this.reports.filter((r) => r.target === target);
  }

  private body(t: Target) {
    return { version: `v${t.version}`, routes: t.routes, pollAfterSeconds: 0 };
  }

  private answer(w: Waiter, status: number, body: unknown): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    send(w.res, status, body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api\/v1\//, '');
    const raw = await readBody(req);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (path.startsWith('agent/')) {
      const target = this.tokens.get(token);
      if (!target) return send(res, 401, { code: 'unauthorized', message: 'unknown or revoked agent token' });
      const t = this.targets.get(target)!;
      if (req.method === 'GET' && path === 'agent/routes') {
        this.routeRequests.push({ target, query: url.search });
        // The report of agents from 0.3.0 rides on the poll (agentVersion: X-Agent-Version).
        const applied = url.searchParams.get('appliedVersion');
        if (applied !== null) {
          const header = req.headers['x-agent-version'] as string | undefined;
          this.reports.push({ target, appliedVersion: applied, agentVersion: header ?? '', error: url.searchParams.get('error'), header });
        }
        const version = url.searchParams.get('version');
        const wait = Math.min(Number(url.searchParams.get('wait') ?? 0) || 0, 30);
        if (version === null || version !== `v${t.version}` || wait === 0) return send(res, 200, this.body(t));
        const w: Waiter = { token, res, timer: setTimeout(() => this.answer(w, 200, this.body(this.targets.get(target)!)), wait * 1000) };
        this.waiters.push(w);
        res.on('close', () => {
          clearTimeout(w.timer);
          this.waiters = this.waiters.filter((x) => x !== w);
        });
        return;
      }
      if (req.method === 'POST' && path === 'agent/report') {
        const b = JSON.parse(raw) as Omit<ReceivedReport, 'target' | 'header'>;
        this.reports.push({ target, ...b, header: req.headers['x-agent-version'] as string | undefined });
        res.writeHead(204).end();
        return;
      }
      return send(res, 404, { code: 'not_found' });
    }
    const issue = /^(instances|vpcs)\/([^/]+)\/(agent-token|router-token)$/.exec(path);
    if (issue && req.method === 'POST') {
      const target = `${issue[1] === 'instances' ? 'instance' : 'vpc'}:${issue[2]}`;
      const idKey = issue[1] === 'instances' ? 'instanceId' : 'vpcId';
      return send(res, 201, { token: this.issueToken(target), [idKey]: issue[2] });
    }
    // The inventory the lab registers (the lab itself picks the matching item from a list).
    const items = this.inventory.get(path) ?? [];
    if (req.method === 'GET') return send(res, 200, { items, total: items.length });
    // The lab prices its machine type (billing): kept, like the inventory.
    if (req.method === 'PUT' && path === 'prices') {
      const priced = ((raw ? JSON.parse(raw) : {}) as { items?: Record<string, unknown>[] }).items ?? [];
      this.inventory.set(path, [...items, ...priced]);
      return send(res, 200, { items: this.inventory.get(path) });
    }
    if (req.method === 'POST') {
      const kind = path
        .split('/')
        .pop()!
        .replace(/s$/, '')
        .replace(/[^a-z]/g, '');
      const item = { ...(raw ? JSON.parse(raw) : {}), id: `${kind}-${randomBytes(4).toString('hex')}`, key: `key-${randomBytes(8).toString('hex')}` };
      this.inventory.set(path, [...items, item]);
      return send(res, 201, item);
    }
    send(res, 404, { code: 'not_found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
