import { describe, expect, it } from 'vitest';
import { FEW_POINTS, LONE_POINT_SPAN_MS, symbolOptions, timeAxis, timeAxisLabel, timeLabelFormat, windowSpanMs, withGaps, type ChartPoint } from './chartOptions';

const series = (n: number, stepMs = 10_000): number[][] => Array.from({ length: n }, (_, i) => [1_700_000_000_000 + i * stepMs, i]);

describe('point markers', () => {
  it('a single point is marked (a line alone would draw nothing)', () => {
    expect(symbolOptions(withGaps(series(1), 10_000))).toMatchObject({ showSymbol: true, symbolSize: expect.any(Number) });
  });

  it('a sparse series marks every point, a dense one none, an empty one none', () => {
    expect(symbolOptions(series(FEW_POINTS)).showSymbol).toBe(true);
    expect(symbolOptions(series(FEW_POINTS + 1)).showSymbol).toBe(false);
    expect(symbolOptions([]).showSymbol).toBe(false);
  });

  it('a dense series marks only its isolated points (between gaps)', () => {
    const pts = series(100);
    const lone = [pts[99][0] + 600_000, 7];
    const data: ChartPoint[] = withGaps([...pts, lone, [lone[0] + 600_000, 8], [lone[0] + 610_000, 9]], 10_000);
    const o = symbolOptions(data);
    expect(o.showSymbol).toBe(true);
    const size = o.symbolSize as (v: unknown, p: { dataIndex: number }) => number;
    const marked = data.map((_, i) => size(null, { dataIndex: i }));
    expect(data.filter((_, i) => marked[i] > 0)).toEqual([lone]);
  });
});

describe('time axis labels', () => {
  it('HH:mm up to a day, MM-DD HH:mm beyond', () => {
    expect(timeLabelFormat(windowSpanMs({ range: '1h' }))).toBe('HH:mm');
    expect(timeLabelFormat(windowSpanMs({ range: '1d' }))).toBe('HH:mm');
    expect(timeLabelFormat(windowSpanMs({ from: '2026-11-01T00:00:00Z', to: '2026-11-03T00:00:00Z' }))).toBe('MM-DD HH:mm');
  });

  it('hides overlapping labels and formats each tick', () => {
    const label = timeAxisLabel(3_600_000);
    expect(label.hideOverlap).toBe(true);
    expect(label.formatter(new Date(2026, 10, 22, 9, 5).getTime())).toBe('09:05');
    expect(timeAxisLabel(3 * 86_400_000).formatter(new Date(2026, 10, 22, 9, 5).getTime())).toBe('11-22 09:05');
  });

  it('ticks at least a minute apart; a lone timestamp gets 10 minutes around it, other extents are kept', () => {
    const axis = timeAxis(3_600_000);
    expect(axis.minInterval).toBe(60_000);
    expect([axis.min({ min: 1000, max: 1000 }), axis.max({ min: 1000, max: 1000 })]).toEqual([1000 - LONE_POINT_SPAN_MS / 2, 1000 + LONE_POINT_SPAN_MS / 2]);
    expect([axis.min({ min: 1000, max: 31_000 }), axis.max({ min: 1000, max: 31_000 })]).toEqual([1000, 31_000]);
  });
});
