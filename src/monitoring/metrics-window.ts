// Pure: the time window and resolution of a metrics query. At most MAX_POINTS buckets per series,
// bucket starts aligned to multiples of the step (since the Unix epoch) so that the same bucket
// always holds the same samples, whoever asks and when.
import { Checked, violation, Violation } from '../common/violations';
import { ISO_DATE_TIME_MESSAGE, parseIsoDateTime } from '../common/validators';

export const PRESET_RANGES = { '1h': 3600, '6h': 6 * 3600, '12h': 12 * 3600, '1d': 86400 } as const;
export type PresetRange = keyof typeof PRESET_RANGES;
export const RANGE_NAMES = Object.keys(PRESET_RANGES) as PresetRange[];
export const MAX_POINTS = 360;
/** The default collection period: a finer bucket would mostly be empty. */
export const MIN_STEP_SECONDS = 10;
export const MAX_SPAN_DAYS = 31;
/** Steps a chart axis reads well; the smallest that keeps a series within MAX_POINTS is used. */
export const STEPS = [10, 15, 20, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export interface MetricsWindow {
  /** Start of the first bucket (aligned down to a multiple of the step). */
  from: Date;
  to: Date;
  stepSeconds: number;
}

export interface WindowQuery {
  range?: string;
  from?: string;
  to?: string;
}

const floorTo = (ms: number, stepSeconds: number) => Math.floor(ms / (stepSeconds * 1000)) * stepSeconds * 1000;

/** Buckets a window [from, to] covers once from is aligned down; `to` itself is inside the last one. */
export function bucketCount(fromMs: number, toMs: number, stepSeconds: number): number {
  return Math.floor((toMs - floorTo(fromMs, stepSeconds)) / (stepSeconds * 1000)) + 1;
}

function parse(field: string, raw: string, problems: Violation[]): number {
  const date = parseIsoDateTime(raw);
  if (!date) problems.push(violation(field, 'iso8601', raw, `${field} ${ISO_DATE_TIME_MESSAGE}`));
  return date ? date.getTime() : Number.NaN;
}

/**
 * `range` (1h, 6h, 12h, 1d; default 1h) ends now; or `from` (required) and `to` (default now),
 * from < to, at most 31 days apart. Never both.
 */
export function resolveWindow(q: WindowQuery, now: Date): Checked<MetricsWindow> {
  const problems: Violation[] = [];
  if (q.range !== undefined && (q.from !== undefined || q.to !== undefined)) {
    problems.push(violation('range', 'exclusive', q.range, 'give either range or from/to, not both'));
  }
  if (q.range !== undefined && !Object.prototype.hasOwnProperty.call(PRESET_RANGES, q.range)) {
    problems.push(violation('range', 'one_of', q.range, `range must be one of ${RANGE_NAMES.join(', ')}`));
  }
  if (q.to !== undefined && q.from === undefined)
    problems.push(violation('to', 'requires_from', q.to, 'to needs from: give from (and optionally to), or range'));
  if (problems.length) return { ok: false, violations: problems };

  if (q.from === undefined) {
    const span = PRESET_RANGES[(q.range ?? '1h') as PresetRange];
    const stepSeconds = STEPS.find((s) => s >= span / MAX_POINTS)!;
    // MAX_POINTS buckets ending with the one that holds `now`.
    const from = floorTo(now.getTime(), stepSeconds) - (MAX_POINTS - 1) * stepSeconds * 1000;
    return { ok: true, value: { from: new Date(from), to: now, stepSeconds } };
  }

  const fromMs = parse('from', q.from, problems);
  const toMs = q.to === undefined ? now.getTime() : parse('to', q.to, problems);
  if (problems.length) return { ok: false, violations: problems };
  if (!(fromMs < toMs)) return { ok: false, violations: [violation('from', 'before_to', q.from, 'from must be earlier than to')] };
  if (toMs - fromMs > MAX_SPAN_DAYS * 86400_000) {
    return {
      ok: false,
      violations: [violation('to', `max_${MAX_SPAN_DAYS}_days`, q.to ?? now.toISOString(), `from and to may be at most ${MAX_SPAN_DAYS} days apart`)],
    };
  }
  const stepSeconds = STEPS.find((s) => s >= MIN_STEP_SECONDS && bucketCount(fromMs, toMs, s) <= MAX_POINTS) ?? STEPS[STEPS.length - 1];
  return { ok: true, value: { from: new Date(floorTo(fromMs, stepSeconds)), to: new Date(toMs), stepSeconds } };
}
