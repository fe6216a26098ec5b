// A list's search kept in the URL (?q=): a reload or a shared link shows the same rows, and an
// empty result says "nothing matches" with a way out, apart from the first-use empty state.
import { Button } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';

export function useUrlSearch(): [string | undefined, (q: string) => void, () => void] {
  const [search, setSearch] = useSearchParams();
  const q = search.get('q') ?? undefined;
  const setQ = (v: string) =>
    setSearch((s) => {
      const next = new URLSearchParams(s);
      if (v.trim()) next.set('q', v.trim());
      else next.delete('q');
      return next;
    });
  return [q, setQ, () => setSearch(new URLSearchParams())];
}

/** The table's empty text: "nothing matches" + clear filters when filtered, else the first-use guide. */
export function ListEmpty({ filtered, onClear, firstUse }: { filtered: boolean; onClear: () => void; firstUse: ReactNode }) {
  const { t } = useTranslation();
  if (!filtered) return <div data-testid="empty-first-use">{firstUse}</div>;
  return (
    <div data-testid="empty-filtered">
      {t('common.nothingMatches')}{' '}
      <Button type="link" size="small" data-testid="clear-filters" onClick={onClear}>
        {t('common.clearFilters')}
      </Button>
    </div>
  );
}

/**
 * Named query parameters of the page's URL, read and written in place (history replaced, not
 * pushed): filters, searches and the open tab survive a reload and travel in a shared link.
 * Pages with several lists give each its own names (e.g. `ordersQ`, `ledgerKind`).
 */
export function useUrlParams<K extends string>(names: readonly K[]): [Partial<Record<K, string>>, (name: K, value: string | undefined) => void] {
  const [search, setSearch] = useSearchParams();
  const values: Partial<Record<K, string>> = {};
  for (const n of names) {
    const v = search.get(n);
    if (v) values[n] = v;
  }
  const set = (name: K, value: string | undefined) =>
    setSearch(
      (s) => {
        const next = new URLSearchParams(s);
        if (value?.trim()) next.set(name, value.trim());
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  return [values, set];
}
