// Serves the built web console (web/dist) from the API's own port: hashed assets with immutable
// caching, every other non-API GET falling back to index.html (the console routes in the browser).
// The build writes brotli (.br) and gzip (.gz) copies next to each text file (web/vite.config.ts):
// they are sent as they are when the browser accepts them, never compressed per request.
// API paths are never touched, so an unknown /api/... still gets the API's JSON 404. When the
// console is not built the API runs as usual and `/` says how to build it.
import { createReadStream, readFileSync, statSync, Stats } from 'fs';
import { extname, join, normalize, resolve, sep } from 'path';
import type { IncomingMessage, ServerResponse } from 'http';
import { contentSecurityPolicy, inlineScriptHashes } from './security-headers';

type Next = (err?: unknown) => void;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Vite puts content-hashed files under assets/: a changed file gets a new name, so they never expire. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and unhashed files such as favicon.ico) are revalidated on every load. */
export const REVALIDATE = 'no-cache';

/** Paths the API owns: never answered from web/dist, not even by the index.html fallback. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/metrics' || path.startsWith('/metrics/') || path.startsWith('/health') || path === '/livez' || path === '/readyz';
}

const notBuiltPage = (webRoot: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>IPsec VPN console: web console not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The web console is not built</h1>
<p>The API is running (<a href="/api/docs">API documentation</a>), but the console's files were not found in
<code>${escapeHtml(webRoot)}</code>.</p>
<p>Build it with <code>npm start</code> (it builds everything), or by hand:</p>
<pre>cd web &amp;&amp; npm install &amp;&amp; npm run build</pre>
<p>then reload this page (no restart needed). Set <code>WEB_ROOT</code> to serve a build from elsewhere.</p>
</body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fileStat(path: string): Stats | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

/** The file under root that the URL path names, or null when it escapes root or is malformed. */
export function resolveUnder(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, `.${normalize(`/${decoded}`)}`);
  return full === root || full.startsWith(root + sep) ? full : null;
}

// index.html's inline script hashes, per file version (etag).
const pageHashes = new Map<string, { etag: string; hashes: string[] }>();

function htmlPolicy(file: string, etag: string): string {
  let cached = pageHashes.get(file);
  if (cached?.etag !== etag) {
    cached = { etag, hashes: inlineScriptHashes(readFileSync(file, 'utf8')) };
    pageHashes.set(file, cached);
  }
  return contentSecurityPolicy(cached.hashes);
}

const ENCODINGS: { name: 'br' | 'gzip'; ext: string }[] = [
  { name: 'br', ext: '.br' },
  { name: 'gzip', ext: '.gz' },
];

/** The encodings a request's Accept-Encoding allows (q=0 refuses one; `*` allows all). */
export function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (!name || (q && Number(q.slice(2)) === 0)) continue;
    if (name === '*') ENCODINGS.forEach((e) => out.add(e.name));
    else out.add(name);
  }
  return out;
}

/** The precompressed copy to send instead of `file`, when there is one the browser accepts. */
function precompressed(req: IncomingMessage, file: string): { path: string; st: Stats; encoding: string } | null {
  const accepted = acceptedEncodings(req.headers['accept-encoding']);
  for (const e of ENCODINGS) {
    if (!accepted.has(e.name)) continue;
    const st = fileStat(file + e.ext);
    if (st) return { path: file + e.ext, st, encoding: e.name };
  }
  return null;
}

function send(req: IncomingMessage, res: ServerResponse, file: string, original: Stats, cacheControl: string): void {
  const variant = precompressed(req, file);
  const st = variant?.st ?? original;
  const body = variant?.path ?? file;
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${variant ? `-${variant.encoding}` : ''}"`;
  // The policy hashes the page's inline script, read from the uncompressed file.
  if (extname(file).toLowerCase() === '.html') res.setHeader('Content-Security-Policy', htmlPolicy(file, `${original.size}-${original.mtimeMs}`));
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', st.mtime.toUTCString());
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
  if (variant) res.setHeader('Content-Encoding', variant.encoding);
  res.setHeader('Content-Length', st.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(body).on('error', () => res.destroy()).pipe(res);
}

/**
 * A connect-style middleware for the console. `webRoot` is read on every request, so a console
 * built after the API started is served without a restart.
 */
export function consoleMiddleware(webRoot: string): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const root = resolve(webRoot);
  const index = join(root, 'index.html');
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = (req.url ?? '/').split('?')[0];
    if (isApiPath(path)) return next();
    const indexStat = fileStat(index);
    if (!indexStat) {
      if (path !== '/' && path !== '/index.html') return next();
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end(notBuiltPage(root));
      return;
    }
    const file = resolveUnder(root, path);
    const st = file && file !== root ? fileStat(file) : null;
    if (file && st) return send(req, res, file, st, file.startsWith(join(root, 'assets') + sep) ? IMMUTABLE : REVALIDATE);
    // A missing file with an extension (a stale /assets/x.js) is a 404, not index.html served as JS.
    if (extname(path) && !path.endsWith('.html')) return next();
    return send(req, res, index, indexStat, REVALIDATE);
  };
}
