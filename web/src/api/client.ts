// The typed API client: openapi-fetch over the types generated from ../docs/openapi.json
// (`npm run gen:api`). Every call goes through `call()` so errors arrive as one ApiError shape.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { getApiKey, clearSession } from '../auth';

export type Schemas = components['schemas'];
export type Violation = Schemas['ViolationDto'];

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

export interface ErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  violations?: Violation[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
  get code(): string | undefined {
    return this.body.code;
  }
  get violations(): Violation[] {
    return this.body.violations ?? [];
  }
}

/** Unwraps an openapi-fetch result: the data, or throws ApiError with the API's body. */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await p;
  } catch (e) {
    throw new ApiError(0, { message: e instanceof Error ? e.message : String(e), code: 'network' });
  }
  if (result.error !== undefined || !result.response.ok) {
    const body = (typeof result.error === 'object' && result.error ? result.error : { message: String(result.error ?? '') }) as ErrorBody;
    throw new ApiError(result.response.status, body);
  }
  return result.data as T;
}

/**
 * Downloads a file that needs the Authorization header (Excel exports, tunnel configs): fetch it
 * as a blob and save it under the server's file name (Content-Disposition) or `fallbackName`.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  const key = getApiKey();
  const res = await fetch(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  if (!res.ok) {
    let body: ErrorBody = {};
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
