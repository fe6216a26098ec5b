import fc from 'fast-check';
import { bucketCount, MAX_POINTS, resolveWindow } from './metrics-window';

const NOW = new Date('2025-03-10T12:34:56.789Z');

function ok(q: Parameters<typeof resolveWindow>[0]) {
  const r = resolveWindow(q, NOW);
  if (!r.ok) throw new Error(JSON.stringify(r.violations));
  return r.value;
}

function rules(q: Parameters<typeof resolveWindow>[0]) {
  const r = resolveWindow(q, NOW);
  if (r.ok) throw new Error('expected violations');
  return r.violations.map((v) => `${v.field}:${v.rule}`);
}

describe('resolveWindow', () => {
  it.each([
    ['1h', 10],
    ['6h', 60],
    ['12h', 120],
    ['1d', 240],
  ])('range %s: step %i s, 360 buckets ending with the one holding now', (range, step) => {
    const w = ok({ range });
    expect(w.stepSeconds).toBe(step);
    expect(w.to).toEqual(NOW);
    expect(w.from.getTime() % (step * 1000)).toBe(0);
    expect(bucketCount(w.from.getTime(), NOW.getTime(), step)).toBe(MAX_POINTS);
  });

  it('defaults to the last hour', () => {
    expect(ok({}).stepSeconds).toBe(10);
  });

  it('from/to: the smallest readable step within 360 points, from aligned down to it; to defaults to now', () => {
    expect(ok({ from: '2025-03-10T12:00:00Z', to: '2025-03-10T12:05:00Z' })).toEqual({
      from: new Date('2025-03-10T12:00:00Z'),
      to: new Date('2025-03-10T12:05:00Z'),
      stepSeconds: 10,
    });
    expect(ok({ from: '2025-03-01T00:00:00Z', to: '2025-03-08T00:00:00Z' }).stepSeconds).toBe(1800); // 7 d / 360 = 1680 s
    expect(ok({ from: '2025-02-07T12:34:56Z', to: '2025-03-10T12:34:56Z' }).stepSeconds).toBe(10800); // 31 days
    expect(ok({ from: '2025-03-10T12:30:00Z' }).to).toEqual(NOW);
  });

  it('refuses both forms, an unknown range, to without from, from >= to, more than 31 days, bad dates', () => {
    expect(rules({ range: '1h', from: '2025-03-10T12:00:00Z' })).toEqual(['range:exclusive']);
    expect(rules({ range: '2h' })).toEqual(['range:one_of']);
    expect(rules({ to: '2025-03-10T12:00:00Z' })).toEqual(['to:requires_from']);
    expect(rules({ from: '2025-03-10T12:00:00Z', to: '2025-03-10T12:00:00Z' })).toEqual(['from:before_to']);
    expect(rules({ from: '2025-03-10T13:00:00Z', to: '2025-03-10T12:00:00Z' })).toEqual(['from:before_to']);
    expect(rules({ from: '2025-02-01T00:00:00Z', to: '2025-03-05T00:00:00Z' })).toEqual(['to:max_31_days']);
    expect(rules({ from: 'yesterday' })).toEqual(['from:iso8601']);
  });

  it('property: any valid window has at most 360 buckets and an aligned from not after the requested one', () => {
    const t0 = Date.parse('2020-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e11 }), fc.integer({ min: 1, max: 31 * 86400_000 }), (start, span) => {
        const from = new Date(t0 + start);
        const to = new Date(t0 + start + span);
        const w = ok({ from: from.toISOString(), to: to.toISOString() });
        return bucketCount(w.from.getTime(), to.getTime(), w.stepSeconds) <= MAX_POINTS && w.from <= from && w.stepSeconds >= 10;
      }),
    );
  });
});
