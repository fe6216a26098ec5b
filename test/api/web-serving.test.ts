// The API serves the built web console at / (WEB_ROOT, a temporary dist here): hashed assets cached
// for good, index.html revalidated, console routes falling back to index.html, API paths untouched,
// nothing outside the dist directory reachable, and a helpful page at / while the console is not built.
import { createHash } from 'crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { brotliCompressSync, gzipSync } from 'zlib';
import { startTestApi, TestApi } from '../support/api';

const base = mkdtempSync(join(tmpdir(), 'web-serving-'));
const dist = join(base, 'dist');
const INLINE = 'window.__firstPage = null; // the prefetch';
const INDEX = `<!doctype html><html><head><script>${INLINE}</script></head><body><div id="root"></div><!-- console-index-marker --></body></html>`;
const ASSET = 'console.log("asset-marker");';
let api: TestApi;

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-B4x9Qz1a.js'), ASSET);
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(base, 'outside-secret.txt'), 'outside-marker');
  // What the build's precompress step writes next to a text file (distinct bodies, to see which is sent).
  writeFileSync(join(dist, 'assets', 'big-C0mpr3ss.js'), 'identity-body');
  writeFileSync(join(dist, 'assets', 'big-C0mpr3ss.js.br'), brotliCompressSync('brotli-body'));
  writeFileSync(join(dist, 'assets', 'big-C0mpr3ss.js.gz'), gzipSync('gzip-body'));
  api = await startTestApi({ WEB_ROOT: dist });
});
afterAll(async () => {
  await api?.close();
  rmSync(base, { recursive: true, force: true });
});

it('serves index.html at / with no-cache and an ETag that revalidates to 304', async () => {
  const res = await api.http().get('/');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-cache');
  expect(res.text).toContain('console-index-marker');
  const again = await api.http().get('/').set('If-None-Match', res.headers.etag);
  expect(again.status).toBe(304);
  expect(again.text).toBe('');
});

it('serves hashed assets as immutable with their content type, and HEAD without a body', async () => {
  const res = await api.http().get('/assets/index-B4x9Qz1a.js');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(res.text).toBe(ASSET);
  const head = await api.http().head('/assets/index-B4x9Qz1a.js');
  expect(head.status).toBe(200);
  expect(head.headers['content-length']).toBe(String(Buffer.byteLength(ASSET)));
  // Unhashed files next to index.html are revalidated like it.
  const icon = await api.http().get('/favicon.svg');
  expect(icon.headers['content-type']).toBe('image/svg+xml');
  expect(icon.headers['cache-control']).toBe('no-cache');
});

it.each(['/vpn-tunnels', '/vpn-tunnels/vpntnl-0a1b2c3d', '/vpn-gateways/new', '/operator/tenants', '/login?next=%2Falerts'])(
  'falls back to index.html for the console route %s',
  async (path) => {
    const res = await api.http().get(path);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('console-index-marker');
  },
);

it('answers a missing asset with 404, not with index.html', async () => {
  const res = await api.http().get('/assets/index-Gone1234.js');
  expect(res.status).toBe(404);
  expect(res.text).not.toContain('console-index-marker');
});

it('leaves API paths to the API: JSON errors, health, metrics and the API docs', async () => {
  const unknown = await api.http().get('/api/v1/no-such-thing');
  expect(unknown.status).toBe(404);
  expect(unknown.headers['content-type']).toMatch(/application\/json/);
  expect(unknown.text).not.toContain('console-index-marker');
  const unauthorized = await api.http().get('/api/v1/vpcs');
  expect(unauthorized.status).toBe(401);
  expect(unauthorized.body.code).toBeDefined();
  const health = await api.http().get('/healthz');
  expect(health.status).toBe(200);
  expect(health.body.status).toBe('ok');
  const metrics = await api.http().get('/metrics').set('Authorization', `Bearer ${api.adminKey}`);
  expect(metrics.status).toBe(200);
  expect(metrics.text).not.toContain('console-index-marker');
  const docs = await api.http().get('/api/docs/');
  expect(docs.status).toBe(200);
  expect(docs.text).toMatch(/swagger/i);
  expect(docs.text).not.toContain('console-index-marker');
});

it('does not answer other methods from the console', async () => {
  const res = await api.http().post('/vpn-tunnels').send({});
  expect(res.status).toBe(404);
  expect(res.text).not.toContain('console-index-marker');
});

it.each(['/../outside-secret.txt', '/assets/..%2f..%2foutside-secret.txt', '/%2e%2e/outside-secret.txt', '/assets/%00.js'])(
  'never serves a file outside the dist directory (%s)',
  async (path) => {
    const res = await api.http().get(path);
    expect(res.text).not.toContain('outside-marker');
  },
);

it('without a build, / says how to build the console while the API keeps working; a later build is served without a restart', async () => {
  renameSync(dist, `${dist}.hidden`);
  try {
    const res = await api.http().get('/');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('cd web &amp;&amp; npm install &amp;&amp; npm run build');
    expect(res.text).toContain(dist);
    expect((await api.http().get('/healthz')).status).toBe(200);
    expect((await api.http().get('/api/v1/vpcs')).status).toBe(401);
  } finally {
    renameSync(`${dist}.hidden`, dist);
  }
  const built = await api.http().get('/');
  expect(built.status).toBe(200);
  expect(built.text).toContain('console-index-marker');
});

describe('security headers', () => {
  const common = (h: Record<string, string>) => {
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['x-powered-by']).toBeUndefined();
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['content-security-policy']).toMatch(/script-src 'self'/);
    expect(h['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
  };

  it('the console page allows exactly its own inline script, by hash', async () => {
    const res = await api.http().get('/vpn-tunnels');
    expect(res.status).toBe(200);
    common(res.headers);
    const hash = createHash('sha256').update(INLINE).digest('base64');
    expect(res.headers['content-security-policy']).toContain(`'sha256-${hash}'`);
  });

  it('API answers (success, 401, 404) and the docs carry them too', async () => {
    for (const [path, status] of [
      ['/healthz', 200],
      ['/api/v1/vpcs', 401],
      ['/api/v1/nothing', 404],
      ['/api/docs/', 200],
    ] as const) {
      const res = await api.http().get(path);
      expect(res.status).toBe(status);
      common(res.headers);
    }
  });
});

describe('precompressed assets', () => {
  it("sends the brotli copy to a browser that accepts br, with the asset's type and long cache", async () => {
    const res = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'gzip, deflate, br');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.text).toBe('brotli-body');
  });

  it('falls back to gzip, then to the file itself, and honours q=0', async () => {
    const gz = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.text).toBe('gzip-body');
    const refused = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'br;q=0, gzip');
    expect(refused.headers['content-encoding']).toBe('gzip');
    const plain = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe('identity-body');
  });

  it('gives each encoding its own ETag, so a cached gzip copy never revalidates a brotli request', async () => {
    const br = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'br');
    const gz = await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'gzip');
    expect(br.headers.etag).not.toBe(gz.headers.etag);
    expect((await api.http().get('/assets/big-C0mpr3ss.js').set('Accept-Encoding', 'br').set('If-None-Match', gz.headers.etag)).status).toBe(200);
  });
});
