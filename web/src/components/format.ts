import dayjs from 'dayjs';

export function fmtTime(iso: string | null | undefined): string {
  return iso ? dayjs(iso).format('YYYY-MM-DD HH:mm:ss') : '-';
}

/** A short time for sentences: HH:mm today, MM-DD HH:mm before ("failed 40 times since 21:02"). */
export function fmtShortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = dayjs(iso);
  return d.isSame(dayjs(), 'day') ? d.format('HH:mm') : d.format('MM-DD HH:mm');
}

/** Bits per second in K/M/G. */
export function fmtBps(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  const units = ['bps', 'Kbps', 'Mbps', 'Gbps'];
  let i = 0;
  let n = v;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 && i > 0 ? 2 : 0)} ${units[i]}`;
}
