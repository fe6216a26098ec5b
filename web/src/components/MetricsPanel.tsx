// Monitoring charts (ECharts, loaded only by detail pages): ranges 1h/6h/12h/1d or a custom window.
import { useEffect, useRef, useState } from 'react';
import { Alert, Card, Col, DatePicker, Row, Segmented, Space, Spin, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useTranslation } from 'react-i18next';
import type { operations } from '../../../sdk/schema';
import { axisScale, fmtScaled, symbolOptions, timeAxis, valueAxis, withGaps, type Point } from './chartOptions';
import { errorText } from './errors';
import { fmtTime } from './format';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type RangeName = NonNullable<NonNullable<operations['getVpnTunnelMetrics']['parameters']['query']>['range']>;
export type MetricsWindow = { range: RangeName } | { from: string; to: string };
export type Aggregate = NonNullable<NonNullable<operations['getVpnTunnelMetrics']['parameters']['query']>['agg']>;
type Loaded = { from: number; to: number; stepSeconds: number; charts: ChartSpec[] };

export interface ChartSpec {
  id: string;
  title: string;
  unit: 'bps' | 'pps' | 'ratio' | 'health';
  series: { name: string; points: Point[] }[];
}

export function MetricsPanel({ load }: { load: (w: MetricsWindow, agg: Aggregate) => Promise<Loaded> }) {
  const { t } = useTranslation();
  const [range, setRange] = useState<RangeName | 'custom'>('1h');
  const [custom, setCustom] = useState<[Dayjs, Dayjs] | null>(null);
  const [agg, setAgg] = useState<Aggregate>('avg');
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const w: MetricsWindow | null = range !== 'custom' ? { range } : custom ? { from: custom[0].toISOString(), to: custom[1].toISOString() } : null;
    if (!w) {
      // "Custom" without a window yet: the previous range's charts would pass for the new one.
      setData(null);
      setError(null);
      return;
    }
    let live = true;
    const fetchIt = () => {
      setLoading(true);
      loadRef
        .current(w, agg)
        .then((d) => live && (setData(d), setError(null)))
        .catch((e) => live && setError(errorText(e)))
        .finally(() => live && setLoading(false));
    };
    fetchIt();
    // Ranges ending now refresh every 30 s.
    const timer = range !== 'custom' ? setInterval(fetchIt, 30_000) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [range, custom, agg]);

  return (
    <div data-testid="metrics-chart">
      <Space style={{ marginBottom: 16 }} wrap>
        <Segmented
          data-testid="metrics-range"
          value={range}
          onChange={(v) => setRange(v as RangeName | 'custom')}
          options={[
            { label: t('metrics.1h'), value: '1h' },
            { label: t('metrics.6h'), value: '6h' },
            { label: t('metrics.12h'), value: '12h' },
            { label: t('metrics.1d'), value: '1d' },
            { label: t('metrics.custom'), value: 'custom' },
          ]}
        />
        {range === 'custom' && (
          <DatePicker.RangePicker data-testid="metrics-custom" showTime value={custom} onChange={(v) => setCustom(v && v[0] && v[1] ? [v[0], v[1]] : null)} />
        )}
        <Segmented
          data-testid="metrics-agg"
          value={agg}
          onChange={(v) => setAgg(v as Aggregate)}
          options={[
            { label: t('metrics.avg'), value: 'avg' },
            { label: t('metrics.max'), value: 'max' },
          ]}
        />
        {loading && <Spin size="small" />}
      </Space>
      {data && (
        <Typography.Paragraph type="secondary" data-testid="metrics-step" data-step={data.stepSeconds} data-from={data.from} data-to={data.to}>
          {t('metrics.window', {
            from: fmtTime(new Date(data.from).toISOString()),
            to: fmtTime(new Date(data.to).toISOString()),
            step: fmtStep(data.stepSeconds, t),
            agg: t(`metrics.${agg}`),
          })}
        </Typography.Paragraph>
      )}
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      {range === 'custom' && !custom && <Alert type="info" showIcon message={t('metrics.pickRange')} />}
      {data && (
        <Row gutter={[16, 16]}>
          {data.charts.map((c) => (
            <Col xs={24} xl={12} key={c.id}>
              <Card size="small" title={c.title}>
                <Chart spec={c} stepSeconds={data.stepSeconds} from={data.from} to={data.to} noData={t('metrics.noData')} />
              </Card>
            </Col>
          ))}
        </Row>
      )}
    </div>
  );
}

/** The bucket width in words: "60 s", "4 min", "1 h". */
function fmtStep(s: number, t: (k: string, o?: Record<string, unknown>) => string): string {
  if (s < 60) return t('time.seconds', { count: s });
  if (s < 3600) return t('time.minutes', { count: s / 60 });
  return t('time.hours', { count: s / 3600 });
}

function Chart({ spec, stepSeconds, from, to, noData }: { spec: ChartSpec; stepSeconds: number; from: number; to: number; noData: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    chart.current = echarts.init(el.current);
    const onResize = () => chart.current?.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  const empty = spec.series.every((s) => s.points.length === 0);
  useEffect(() => {
    chart.current?.setOption(
      {
        // No entry animation: it reveals the line from the left, so the newest samples (at the right
        // edge of a window-wide axis) would appear last, and every 30-s refresh would replay it.
        animation: false,
        tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmtScaled(v, axisScale(spec.unit, v)) : '-') },
        legend: { top: 0 },
        grid: { left: 80, right: 16, top: 32, bottom: 28 },
        xAxis: timeAxis({ from, to }),
        yAxis: valueAxis(
          spec.unit,
          spec.series.flatMap((s) => s.points.map((p) => p[1])),
        ),
        series: spec.series.map((s) => {
          const data = withGaps(s.points, stepSeconds * 1000);
          return {
            name: s.name,
            type: 'line',
            ...symbolOptions(data),
            connectNulls: false,
            step: spec.unit === 'health' ? 'end' : undefined,
            areaStyle: { opacity: 0.08 },
            data,
          };
        }),
      },
      true,
    );
    // The axis ECharts actually drew, for the browser test ("the x axis spans the chosen window").
    const axis = (
      chart.current as unknown as { getModel?: () => { getComponent: (k: string, i: number) => { axis?: { scale: { getExtent: () => number[] } } } } } | null
    )
      ?.getModel?.()
      .getComponent('xAxis', 0)?.axis;
    const box = el.current?.parentElement;
    if (axis && box) [box.dataset.xMin, box.dataset.xMax] = axis.scale.getExtent().map(String);
  }, [spec, stepSeconds, from, to]);
  return (
    <div style={{ position: 'relative' }} data-testid={`chart-${spec.id}`}>
      <div ref={el} style={{ height: 240 }} />
      {empty && (
        <div style={{ position: 'absolute', inset: 0, display: 'flex', alignItems: 'center', justifyContent: 'center', color: '#999', pointerEvents: 'none' }}>
          {noData}
        </div>
      )}
    </div>
  );
}
