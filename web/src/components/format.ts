import dayjs from 'dayjs';

export function fmtTime(iso: string | null | undefined): string {
  return iso ? dayjs(iso).format('YYYY-MM-DD HH:mm:ss') : '-';
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
