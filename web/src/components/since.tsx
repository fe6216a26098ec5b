import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { fmtTime } from './format';
import { useNow } from './useNow';

/**
 * "3 min" (how long ago), with the exact time and timezone on hover: the browser's own tooltip
 * (`title`), not antd's: one per row of a 20-row list, each antd Tooltip is a trigger component
 * with its own hooks and listeners on the list's first render (bench/console.ts).
 */
export function Since({ at, testId }: { at: string | null | undefined; testId?: string }) {
  const { t } = useTranslation();
  const now = useNow(15_000);
  if (!at) return <>-</>;
  const s = Math.max(0, Math.round((now - dayjs(at).valueOf()) / 1000));
  const text =
    s < 60
      ? t('time.seconds', { count: s })
      : s < 3600
        ? t('time.minutes', { count: Math.floor(s / 60) })
        : s < 86400
          ? t('time.hours', { count: Math.floor(s / 3600) })
          : t('time.days', { count: Math.floor(s / 86400) });
  return (
    <span data-testid={testId} data-at={at} title={fmtTime(at)}>
      {text}
    </span>
  );
}
