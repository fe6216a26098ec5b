// Every list endpoint answers one page ({ items, total, offset, limit }) of at most 1000 items:
// these helpers walk all of them.
import type { Schemas } from './errors';

/** A page of any list, shaped as the API's page DTOs. */
export type Page<T> = Omit<Schemas['TunnelPageDto'], 'items'> & { items: T[] };
export interface PageRequest {
  offset: number;
  limit: number;
}

export const MAX_PAGE_SIZE = 1000;

/** Yields each page in turn, from offset 0, until `total` items were seen (or a page comes back empty). */
export async function* pages<T>(fetchPage: (p: PageRequest) => Promise<Page<T>>, pageSize = MAX_PAGE_SIZE): AsyncGenerator<Page<T>> {
  let offset = 0;
  for (;;) {
    const page = await fetchPage({ offset, limit: pageSize });
    yield page;
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return;
  }
}

/** Every item of a list: `listAll((p) => vpn.call(vpn.api.GET('/api/v1/vpn-tunnels', { params: { query: p } })))`. */
export async function listAll<T>(fetchPage: (p: PageRequest) => Promise<Page<T>>, pageSize = MAX_PAGE_SIZE): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages(fetchPage, pageSize)) all.push(...page.items);
  return all;
}
