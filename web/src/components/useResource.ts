// One resource of a detail page (a gateway, a tunnel): fetched when the page opens or its id
// changes, and again whenever one of its live topics moved on the server (live.ts). An edit's
// answer replaces it at once with `set`.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLive, type Topic } from './live';

export interface Resource<T> {
  data: T | null;
  /** The last load's failure; cleared by the next success. */
  error: unknown;
  reload: () => Promise<void>;
  set: (data: T) => void;
}

/** `key` names what `fetch` loads (the id): a new key loads again. */
export function useResource<T>(key: string, fetch: () => Promise<T>, topics: readonly Topic[]): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;
  const reload = useCallback(async () => {
    try {
      setData(await fetchRef.current());
      setError(null);
    } catch (e) {
      setError(e);
    }
    // The key is what the fetch depends on: a new key is a new resource.
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    void reload();
  }, [reload]);
  useLive(topics, () => void reload());
  return { data, error, reload, set: setData };
}
