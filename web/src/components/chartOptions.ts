// Pure pieces of the monitoring charts' ECharts options (MetricsPanel), kept apart so vitest can
// check them without a canvas.
import dayjs from 'dayjs';

export type Point = number[];
export type ChartPoint = Point | [number, null];

const DAY_MS = 86_400_000;

/** Buckets without samples are gaps: a null point breaks the line instead of bridging it. */
export function withGaps(points: Point[], stepMs: number): ChartPoint[] {
  const out: ChartPoint[] = [];
  for (let i = 0; i < points.length; i++) {
    if (i > 0 && points[i][0] - points[i - 1][0] > stepMs * 1.5) out.push([points[i - 1][0] + stepMs, null]);
    out.push(points[i]);
  }
  return out;
}

/** A series with at most this many points shows a marker on each (a line alone would be too thin to read, or absent). */
export const FEW_POINTS = 30;
const SYMBOL_SIZE = 6;

/**
 * Point markers for a line series. A line needs two neighbouring points, so without markers a
 * single point (or one between two gaps) draws nothing: a sparse series marks every point, a
 * dense one only its isolated points (size 0 for the rest, so the line stays clean).
 */
export function symbolOptions(data: ChartPoint[]): { showSymbol: boolean; symbolSize?: number | ((value: unknown, params: { dataIndex: number }) => number) } {
  const present = (i: number) => i >= 0 && i < data.length && data[i][1] !== null && data[i][1] !== undefined;
  const count = data.filter((_, i) => present(i)).length;
  if (count === 0) return { showSymbol: false };
  if (count <= FEW_POINTS) return { showSymbol: true, symbolSize: SYMBOL_SIZE };
  const isolated = new Set<number>();
  for (let i = 0; i < data.length; i++) if (present(i) && !present(i - 1) && !present(i + 1)) isolated.add(i);
  if (isolated.size === 0) return { showSymbol: false };
  return { showSymbol: true, symbolSize: (_value, params) => (isolated.has(params.dataIndex) ? SYMBOL_SIZE : 0) };
}

/** Time-axis labels: HH:mm for windows up to a day, MM-DD HH:mm beyond (local time). */
export function timeLabelFormat(spanMs: number): string {
  return spanMs <= DAY_MS ? 'HH:mm' : 'MM-DD HH:mm';
}

/** The time axis' labels for a window of `spanMs`: one format for every tick, overlapping labels hidden. */
export function timeAxisLabel(spanMs: number): { hideOverlap: boolean; formatter: (value: number) => string } {
  const format = timeLabelFormat(spanMs);
  return { hideOverlap: true, formatter: (value: number) => dayjs(value).format(format) };
}

const MINUTE_MS = 60_000;

/**
 * The x axis spans the window that was asked for (the answer's `from`..`to`), not the data's
 * extent: 6 hours with 11 minutes of samples reads as 6 hours with a gap. Ticks at least a minute
 * apart (the labels' resolution, so labels never repeat); labels as above.
 */
export function timeAxis(window: { from: number; to: number }) {
  return {
    type: 'time' as const,
    minInterval: MINUTE_MS,
    min: window.from,
    max: window.to,
    axisLabel: timeAxisLabel(window.to - window.from),
  };
}

export type Unit = 'bps' | 'pps' | 'ratio' | 'health';

const SCALES: Record<Unit, { div: number; label: string }[]> = {
  bps: [
    { div: 1, label: 'bps' },
    { div: 1e3, label: 'Kbps' },
    { div: 1e6, label: 'Mbps' },
    { div: 1e9, label: 'Gbps' },
  ],
  pps: [
    { div: 1, label: 'pps' },
    { div: 1e3, label: 'Kpps' },
    { div: 1e6, label: 'Mpps' },
  ],
  ratio: [{ div: 0.01, label: '%' }],
  health: [{ div: 0.01, label: '%' }],
};

/** The unit step of an axis whose largest value is `max`: every tick in one unit (0.5 Mbps, 1 Mbps, 1.5 Mbps). */
export function axisScale(unit: Unit, max: number): { div: number; label: string } {
  const scales = SCALES[unit];
  let pick = scales[0];
  for (const s of scales) if (Math.abs(max) >= s.div) pick = s;
  return pick;
}

/**
 * One value in the axis' unit with as many decimals as the value needs (at most 3): the ticks
 * ECharts picks are "nice" numbers, so two distinct ticks never print the same text.
 */
export function fmtScaled(v: number, scale: { div: number; label: string }): string {
  const n = v / scale.div;
  const text = Number.isInteger(n) ? String(n) : String(Number(n.toFixed(Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 3)));
  return scale.label === '%' ? `${text} %` : `${text} ${scale.label}`;
}

/** The y axis for a chart's series: one unit for every tick; rates never tick below 1 bps / 0.1 pps. */
export function valueAxis(unit: Unit, values: number[]) {
  const max = values.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), 0);
  const scale = axisScale(unit, max);
  const bounded = unit === 'health' || unit === 'ratio';
  return {
    type: 'value' as const,
    min: 0,
    max: unit === 'health' ? 1 : undefined,
    minInterval: unit === 'bps' ? 1 : unit === 'pps' ? 0.1 : bounded ? 0.01 : undefined,
    axisLabel: { formatter: (v: number) => fmtScaled(v, scale) },
  };
}

const RANGE_MS = { '1h': 3_600_000, '6h': 21_600_000, '12h': 43_200_000, '1d': DAY_MS } as const;

/** How long a metrics window is: a named range, or a custom from/to. */
export function windowSpanMs(w: { range: keyof typeof RANGE_MS } | { from: string; to: string }): number {
  return 'range' in w ? RANGE_MS[w.range] : Date.parse(w.to) - Date.parse(w.from);
}
