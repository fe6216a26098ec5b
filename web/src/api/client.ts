// The typed API client: openapi-fetch over the SDK's types, generated from ../docs/openapi.json into
// ../sdk/schema.d.ts (`npm run gen:api`). Every call goes through the SDK's `call()` so errors arrive
// as its one ApiError shape.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../../../sdk/schema';
import { ApiError, type ErrorBody } from '../../../sdk/errors';
import { getApiKey, clearSession } from '../auth';

export { ApiError, call, type ErrorBody, type Schemas, type Violation } from '../../../sdk/errors';

export const api = createClient<paths>({ baseUrl: '' });

const auth: Middleware = {
  onRequest({ request }) {
    const key = getApiKey();
    if (key && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${key}`);
    return request;
  },
  onResponse({ response, request }) {
    // A revoked or unknown key: drop the session and go to the login page (not for the login probe itself).
    if (response.status === 401 && !request.headers.has('X-Login-Probe')) {
      clearSession();
      if (!window.location.pathname.startsWith('/login')) window.location.assign('/login');
    }
    return response;
  },
};
api.use(auth);

/**
 * Downloads a file that needs the Authorization header (Excel exports, tunnel configs): fetch it
 * as a blob and save it under the server's file name (Content-Disposition) or `fallbackName`.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  const key = getApiKey();
  const res = await fetch(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  if (!res.ok) {
    let body: ErrorBody;
    try {
      body = (await res.json()) as ErrorBody;
    } catch {
      body = { message: res.statusText };
    }
    throw new ApiError(res.status, body);
  }
  const blob = await res.blob();
  const name = fileNameFrom(res.headers.get('Content-Disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function fileNameFrom(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : null;
}

/** Query string from a filter object, skipping empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? `?${out}` : '';
}
