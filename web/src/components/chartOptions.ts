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
/** Around a lone timestamp the axis spans this much (ECharts would stretch it to two days). */
export const LONE_POINT_SPAN_MS = 10 * MINUTE_MS;

type Extent = { min: number; max: number };

/**
 * The x axis for a window of `spanMs`: labels as above; ticks at least a minute apart (the labels'
 * resolution, so a few seconds of data never repeat one label along the axis); and when every point
 * has the same timestamp, 10 minutes around it instead of ECharts' two days.
 */
export function timeAxis(spanMs: number) {
  return {
    type: 'time' as const,
    minInterval: MINUTE_MS,
    min: (e: Extent) => (e.min === e.max ? e.min - LONE_POINT_SPAN_MS / 2 : e.min),
    max: (e: Extent) => (e.min === e.max ? e.max + LONE_POINT_SPAN_MS / 2 : e.max),
    axisLabel: timeAxisLabel(spanMs),
  };
}

const RANGE_MS = { '1h': 3_600_000, '6h': 21_600_000, '12h': 43_200_000, '1d': DAY_MS } as const;

/** How long a metrics window is: a named range, or a custom from/to. */
export function windowSpanMs(w: { range: keyof typeof RANGE_MS } | { from: string; to: string }): number {
  return 'range' in w ? RANGE_MS[w.range] : Date.parse(w.to) - Date.parse(w.from);
}
