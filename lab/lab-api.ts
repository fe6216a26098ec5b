// A small HTTP client for the console API, as the lab uses it: list-then-create, idempotently.
export interface LabApiOptions {
  baseUrl: string;
  adminKey: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export type ApiItem = Record<string, unknown> & { id: string };

export class LabApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} -> HTTP ${status}${body ? `: ${body.slice(0, 500)}` : ''}`);
    this.name = 'LabApiError';
  }
}

export class LabApiClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly o: LabApiOptions) {
    if (!o.adminKey) throw new Error('no admin API key: pass --admin-key or set ADMIN_API_KEY (or use --no-register)');
    this.fetchImpl = o.fetchImpl ?? fetch;
  }

  async list(resource: string, query: Record<string, string | undefined> = {}): Promise<{ items: ApiItem[]; total: number }> {
    const params = new URLSearchParams({ limit: '100' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const body = (await this.request('GET', `/api/v1/${resource}?${params}`)) as { items?: ApiItem[]; total?: number };
    const items = body.items ?? [];
    return { items, total: body.total ?? items.length };
  }

  async create(path: string, payload: Record<string, unknown>): Promise<ApiItem> {
    return (await this.request('POST', `/api/v1/${path}`, payload)) as ApiItem;
  }

  async get(path: string): Promise<Record<string, unknown>> {
    return (await this.request('GET', `/api/v1/${path}`)) as Record<string, unknown>;
  }

  async put(path: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.request('PUT', `/api/v1/${path}`, payload)) as Record<string, unknown>;
  }

  // Finds the first listed item matching `match`, or creates it; a 409 (created meanwhile by
  // someone else) is answered by listing again.
  async findOrCreate(
    resource: string,
    query: Record<string, string | undefined>,
    match: (item: ApiItem) => boolean,
    payload: Record<string, unknown>,
  ): Promise<{ item: ApiItem; created: boolean }> {
    const existing = (await this.list(resource, query)).items.find(match);
    if (existing) return { item: existing, created: false };
    try {
      return { item: await this.create(resource, payload), created: true };
    } catch (e) {
      if (!(e instanceof LabApiError && e.status === 409)) throw e;
      const again = (await this.list(resource, query)).items.find(match);
      if (!again) throw e;
      return { item: again, created: false };
    }
  }

  private async request(method: string, path: string, payload?: unknown): Promise<unknown> {
    const url = `${this.o.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: { Authorization: `Bearer ${this.o.adminKey}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
        body: payload ? JSON.stringify(payload) : undefined,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new Error(`cannot reach the API at ${this.o.baseUrl} (${(e as Error).message}); is it running? (or use --no-register)`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new LabApiError(method, path.split('?')[0], res.status, text);
    return text ? JSON.parse(text) : {};
  }
}

// The id of a referenced object, whether the API returns `vpcId` or a nested `vpc: {id}`.
export function refId(item: Record<string, unknown>, ref: string): string | undefined {
  const flat = item[`${ref}Id`];
  if (typeof flat === 'string') return flat;
  const nested = item[ref];
  if (nested && typeof nested === 'object' && typeof (nested as { id?: unknown }).id === 'string') return (nested as { id: string }).id;
  return undefined;
}
