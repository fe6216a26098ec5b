// Server-side paginated lists: offset/limit/q/sort go to the API; live updates follow the list's
// topics (live.ts: fetched again when the server says they changed).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { operations } from '../../../sdk/schema';
import type { Page } from '../../../sdk/paging';
import { useLive, type Topic } from './live';

export type { Page };

/** Every list's query (paging, sort, search: the generated type), plus the page's own filters. */
type ListQuery = NonNullable<operations['listVpnTunnels']['parameters']['query']>;
export type ListParams = Required<Pick<ListQuery, 'offset' | 'limit'>> &
  Pick<ListQuery, 'q' | 'sort' | 'order'> & { [filter: string]: string | number | undefined };

export function useList<T>(
  fetcher: (p: ListParams) => Promise<Page<T>>,
  opts: {
    pageSize?: number;
    /** Topics whose changes make the list fetch its page again (live.ts). */
    live?: readonly Topic[];
    filters?: Record<string, string | undefined>;
    /** Data for the first render (a prefetched first page): no loading state, no first request. */
    initial?: () => Page<T> | null;
  } = {},
) {
  const [params, setParams] = useState<ListParams>({ offset: 0, limit: opts.pageSize ?? 20 });
  const [initial] = useState(() => opts.initial?.() ?? null);
  const [data, setData] = useState<Page<T>>(initial ?? { items: [], total: 0, offset: 0, limit: params.limit });
  const [loading, setLoading] = useState(!initial);
  const skipFirst = useRef(!!initial);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const filterKey = JSON.stringify(opts.filters ?? {});

  const load = useCallback(
    async (quiet = false) => {
      const mine = ++seq.current;
      if (!quiet) setLoading(true);
      try {
        const page = await fetcherRef.current({ ...params, ...(JSON.parse(filterKey) as Record<string, string>) });
        if (mine === seq.current) {
          setData(page);
          setError(null);
        }
      } catch (e) {
        if (mine === seq.current) setError(e);
      } finally {
        if (mine === seq.current && !quiet) setLoading(false);
      }
    },
    [params, filterKey],
  );

  useEffect(() => {
    if (skipFirst.current) {
      skipFirst.current = false;
      return;
    }
    void load();
  }, [load]);

  useLive(opts.live, () => void load(true));

  return {
    data,
    loading,
    error,
    params,
    reload: () => load(),
    search: (q: string) => setParams((p) => ({ ...p, q: q.trim() || undefined, offset: 0 })),
    setPage: (page: number, pageSize: number) => setParams((p) => ({ ...p, offset: (page - 1) * pageSize, limit: pageSize })),
    setSort: (sort?: string, order?: 'asc' | 'desc') => setParams((p) => ({ ...p, sort, order, offset: 0 })),
  };
}

export type List<T> = ReturnType<typeof useList<T>>;
