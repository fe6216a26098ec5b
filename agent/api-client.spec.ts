import { AgentApiClient, ApiError, AuthError, parseDesiredState } from './api-client';

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body: string, calls: Call[] = []): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : body, { status });
  }) as unknown as typeof fetch;
}

describe('parseDesiredState', () => {
  it('accepts the contract and clamps pollAfterSeconds', () => {
    expect(parseDesiredState({ version: 'v1', routes: [{ destination: '172.16.1.0/24', via: '10.1.1.254' }], pollAfterSeconds: -3 })).toEqual({
      version: 'v1',
      routes: [{ destination: '172.16.1.0/24', via: '10.1.1.254' }],
      pollAfterSeconds: 0,
    });
    expect(parseDesiredState({ version: 'v2', routes: [] }).pollAfterSeconds).toBe(0);
  });

  it('refuses malformed answers', () => {
    expect(() => parseDesiredState(null)).toThrow(ApiError);
    expect(() => parseDesiredState({ routes: [] })).toThrow('no version');
    expect(() => parseDesiredState({ version: 'v', routes: {} })).toThrow('no routes array');
    expect(() => parseDesiredState({ version: 'v', routes: [{ destination: 1 }] })).toThrow('malformed route');
  });
});

describe('AgentApiClient', () => {
  const opts = { apiUrl: 'http://api', token: () => 'tok-1', agentVersion: '9.9.9' };

  it('long-polls with version and wait, sending the token and the agent version', async () => {
    const calls: Call[] = [];
    const c = new AgentApiClient({ ...opts, fetchImpl: fakeFetch(200, JSON.stringify({ version: 'v2', routes: [], pollAfterSeconds: 0 }), calls) });
    await c.fetchRoutes('v 1', 25);
    await c.fetchRoutes(undefined, 25);
    expect(calls[0].url).toBe('http://api/api/v1/agent/routes?version=v+1&wait=25');
    expect(calls[1].url).toBe('http://api/api/v1/agent/routes');
    expect(calls[0].init.headers).toMatchObject({ Authorization: 'Bearer tok-1', 'X-Agent-Version': '9.9.9' });
  });

  it('posts reports as JSON and accepts 204', async () => {
    const calls: Call[] = [];
    const c = new AgentApiClient({ ...opts, fetchImpl: fakeFetch(204, '', calls) });
    await c.report({ appliedVersion: 'v1', agentVersion: '9.9.9', error: null });
    expect(calls[0].url).toBe('http://api/api/v1/agent/report');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ appliedVersion: 'v1', agentVersion: '9.9.9', error: null });
  });

  it('tells a refused token from other failures, without the token in the message', async () => {
    const unauthorized = new AgentApiClient({ ...opts, fetchImpl: fakeFetch(401, JSON.stringify({ code: 'unauthorized', message: 'token revoked' })) });
    await expect(unauthorized.fetchRoutes(undefined, 0)).rejects.toThrow(AuthError);
    await expect(unauthorized.fetchRoutes(undefined, 0)).rejects.toThrow('HTTP 401: unauthorized: token revoked');
    const broken = new AgentApiClient({ ...opts, fetchImpl: fakeFetch(503, 'busy') });
    await expect(broken.fetchRoutes(undefined, 0)).rejects.toThrow(ApiError);
    const notJson = new AgentApiClient({ ...opts, fetchImpl: fakeFetch(200, '<html>') });
    await expect(notJson.fetchRoutes(undefined, 0)).rejects.toThrow('not JSON');
    const down = new AgentApiClient({
      ...opts,
      fetchImpl: (async () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      }) as unknown as typeof fetch,
    });
    const err = await down.fetchRoutes('v1', 1).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('GET /api/v1/agent/routes: ECONNREFUSED');
    expect(err.message).not.toContain('tok-1');
  });
});

describe('AgentApiClient over node:http (the default, no fetch)', () => {
  it('sends the request a real server sees and reads its answers; a closed port is ECONNREFUSED; stop() aborts a long poll', async () => {
    const { createServer } = await import('node:http');
    const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req
        .on('data', (c) => (body += c))
        .on('end', () => {
          seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
          if (req.url?.includes('wait=30')) return; // never answered: the caller aborts
          if (req.method === 'POST') return res.writeHead(204).end();
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ version: 'v7', routes: [{ destination: '172.16.0.0/24', via: '10.0.0.1' }], pollAfterSeconds: 2 }));
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const c = new AgentApiClient({ apiUrl: `http://127.0.0.1:${port}`, token: () => 'tok-2', agentVersion: '1.2.3' });
      await expect(c.fetchRoutes('v 6', 1)).resolves.toEqual({
        version: 'v7',
        routes: [{ destination: '172.16.0.0/24', via: '10.0.0.1' }],
        pollAfterSeconds: 2,
      });
      await c.report({ appliedVersion: 'v7', agentVersion: '1.2.3', error: 'ip: ü' });
      expect(seen[0]).toEqual({ method: 'GET', url: '/api/v1/agent/routes?version=v+6&wait=1', auth: 'Bearer tok-2', body: '' });
      expect(seen[1]).toMatchObject({ method: 'POST', url: '/api/v1/agent/report', auth: 'Bearer tok-2' });
      expect(JSON.parse(seen[1].body)).toEqual({ appliedVersion: 'v7', agentVersion: '1.2.3', error: 'ip: ü' });
      const stop = new AbortController();
      const parked = c.fetchRoutes('v7', 30, stop.signal);
      setTimeout(() => stop.abort(), 100);
      await expect(parked).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const refused = await new AgentApiClient({ apiUrl: `http://127.0.0.1:${port}`, token: () => 'tok-2', agentVersion: '1' })
      .fetchRoutes(undefined, 0)
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused.message).toBe('GET /api/v1/agent/routes: ECONNREFUSED');
  });
});
