// Security headers on every answer, API and console alike (helmet), and the console's Content
// Security Policy: scripts only from this origin, plus the hashes of index.html's inline scripts
// (the first-page prefetch), computed from the file being served so a rebuilt console needs no
// configuration. Styles allow 'unsafe-inline': antd (CSS-in-JS) and Swagger UI inject <style>.
import { createHash } from 'crypto';
import helmet from 'helmet';

const DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The CSP header value, with extra script sources (inline script hashes) when given. */
export function contentSecurityPolicy(scriptHashes: string[] = []): string {
  return Object.entries(DIRECTIVES)
    .map(([name, values]) => `${name} ${[...values, ...(name === 'script-src' ? scriptHashes : [])].join(' ')}`)
    .join('; ');
}

/** `'sha256-…'` of each inline <script> (one without src) of an HTML page. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    out.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  }
  return out;
}

/** helmet with our CSP, no-referrer, nosniff, frame denial; X-Powered-By removed. */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: Object.fromEntries(Object.entries(DIRECTIVES).map(([k, v]) => [k, v])) },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // The console loads nothing cross-origin; COEP would only break Swagger UI's data: images.
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * The headers securityHeaders() sets, as name/value pairs, for a handler that answers before it
 * runs (agent-routes-fast-path.ts: its 12 middlewares on every agent poll). Taken from helmet
 * itself, once, so the two cannot drift: every header our configuration sets is static.
 */
export function securityHeaderValues(): [string, string][] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let done = false;
  securityHeaders()({} as never, res as never, () => (done = true));
  if (!done) throw new Error('helmet did not complete synchronously');
  return [...headers];
}
