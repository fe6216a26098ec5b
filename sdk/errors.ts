// The API's error body as a typed error, and the one unwrap of an openapi-fetch result. No runtime
// dependency: the console bundles this file as it is.
import type { components } from './schema';

export type Schemas = components['schemas'];
export type Violation = Schemas['ViolationDto'];
/** What a failed request answered: the API's error body, or as much of it as a proxy/network left. */
export type ErrorBody = Partial<Schemas['ErrorBodyDto']>;

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
  /** Stable error code (`validation_failed`, `not_found`, `pair_in_use`, ...); `network` without an answer. */
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
