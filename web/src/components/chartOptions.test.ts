import { describe, expect, it } from 'vitest';
import { FEW_POINTS, symbolOptions, timeAxis, valueAxis, timeAxisLabel, timeLabelFormat, windowSpanMs, withGaps, type ChartPoint } from './chartOptions';

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

  it('the x axis spans the requested window, whatever the data covers; ticks at least a minute apart', () => {
    const from = Date.parse('2026-12-04T12:00:00Z');
    const axis = timeAxis({ from, to: from + 6 * 3_600_000 });
    expect(axis.minInterval).toBe(60_000);
    expect([axis.min, axis.max]).toEqual([from, from + 21_600_000]);
    expect(axis.axisLabel.formatter(from)).toMatch(/^\d\d:\d\d$/);
  });
});

describe('value axis', () => {
  it('prints distinct labels in one sensible unit for small rates (was "1 bps 1 bps 1 bps 0 bps")', () => {
    const axis = valueAxis('bps', [0.2, 1.4, 0.9]);
    expect(axis.minInterval).toBe(1);
    const labels = [0, 0.5, 1, 1.5].map(axis.axisLabel.formatter);
    expect(new Set(labels).size).toBe(4);
    expect(labels).toEqual(['0 bps', '0.5 bps', '1 bps', '1.5 bps']);
  });

  it('scales by the axis maximum: Kbps, Mbps, packets/s, percent', () => {
    expect([0, 500_000, 1_000_000, 1_500_000].map(valueAxis('bps', [1_600_000]).axisLabel.formatter)).toEqual(['0 Mbps', '0.5 Mbps', '1 Mbps', '1.5 Mbps']);
    expect(valueAxis('bps', [80_000]).axisLabel.formatter(20_000)).toBe('20 Kbps');
    expect(valueAxis('pps', [3]).axisLabel.formatter(2.5)).toBe('2.5 pps');
    expect(valueAxis('health', [1]).axisLabel.formatter(0.75)).toBe('75 %');
    expect(valueAxis('ratio', [0.42]).axisLabel.formatter(0.1)).toBe('10 %');
  });
});
