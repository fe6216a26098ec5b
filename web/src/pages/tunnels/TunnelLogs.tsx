import { useState } from 'react';
import { DownloadOutlined } from '@ant-design/icons';
import { Button, DatePicker, Input, Select, Space, Switch, Table, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { fmtShortTime, fmtTime } from '../../components/format';
import { useExport } from '../../components/exportList';
import { listTableProps } from '../../components/ListToolbar';
import { useList } from '../../components/useList';
import { FAILURE_CODES } from '../../shared';

type Entry = Schemas['TunnelLogEntryDto'];
type Kind = NonNullable<Schemas['TunnelLogEntryDto']['kind']>;

const KINDS: Kind[] = ['attempt', 'connected', 'down', 'rekey', 'config', 'deleted', 'failover'];

/**
 * The connection log: what each negotiation did and why it failed, with charon's lines. Runs of
 * identical entries collapse into one ("failed 40 times since 21:02, same reason"); filters by
 * kind, result, reason, time and text go to the API.
 */
export function TunnelLogs({ tunnelId }: { tunnelId: string }) {
  const { t, i18n } = useTranslation();
  const [collapse, setCollapse] = useState(true);
  const [kind, setKind] = useState<Kind>();
  const [result, setResult] = useState<'success' | 'failure'>();
  const [reasonCode, setReasonCode] = useState<string>();
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const [q, setQ] = useState<string>();
  const list = useList<Entry>(
    (p) =>
      call(
        api.GET('/api/v1/vpn-tunnels/{id}/logs', {
          params: {
            path: { id: tunnelId },
            query: {
              offset: p.offset,
              limit: Math.min(p.limit, 200),
              collapse: collapse ? 'true' : 'false',
              kind,
              result,
              reasonCode,
              q,
              from: range?.[0].toISOString(),
              to: range?.[1].toISOString(),
            },
          },
        }),
      ),
    { live: ['tunnels'], filters: { collapse: String(collapse), kind, result, reasonCode, q, from: range?.[0].toISOString(), to: range?.[1].toISOString() } },
  );
  // Excel: what the table shows, whole (the same filters and collapse, no paging).
  const exporter = useExport(`vpn-tunnels/${tunnelId}/logs`, `tunnel-log-${tunnelId}.xlsx`);
  const summary = (e: Entry): string => {
    if (e.reasonCode) return t(`failureTitle.${e.reasonCode}`, { defaultValue: e.message ?? e.reasonCode });
    const key = e.kind === 'config' ? `config_${e.result ?? 'success'}` : e.kind;
    return t(`logs.summaries.${key}`, { version: e.configVersion ?? '', defaultValue: e.message ?? '-' });
  };
  const columns: TableColumnsType<Entry> = [
    {
      title: t('logs.at'),
      dataIndex: 'at',
      width: 190,
      render: (v: string, e) =>
        e.repeats > 1 ? (
          <div>
            <div>{fmtTime(v)}</div>
            <div className="sub">{t('logs.since', { time: fmtTime(e.firstAt) })}</div>
          </div>
        ) : (
          fmtTime(v)
        ),
    },
    { title: t('logs.kind'), dataIndex: 'kind', width: 100, render: (v: Entry['kind']) => t(`logs.kinds.${v}`) },
    {
      title: t('logs.result'),
      dataIndex: 'result',
      width: 90,
      render: (v: Entry['result'] | null) => (v ? <Tag color={v === 'success' ? 'success' : 'error'}>{t(`logs.results.${v}`)}</Tag> : '-'),
    },
    { title: t('logs.phase'), dataIndex: 'phase', width: 60, render: (v: number | null) => v ?? '-' },
    {
      title: t('logs.message'),
      dataIndex: 'message',
      // The API's sentence is English: other languages show the catalogue's summary of the entry
      // (by reason code, else by kind), with the API's sentence on hover.
      render: (v: string | null, e) => (
        <div>
          {e.repeats > 1 && (
            <Tag color={e.result === 'failure' ? 'red' : 'default'} data-testid="log-repeats" data-repeats={e.repeats}>
              {t(e.result === 'failure' ? 'logs.failedTimes' : 'logs.repeatedTimes', { count: e.repeats, time: fmtShortTime(e.firstAt) })}
            </Tag>
          )}
          <span title={v ?? undefined}>{i18n.language === 'en' && v ? v : summary(e)}</span>
          {e.reasonCode && (
            <div className="sub" data-testid="log-reason">
              {e.reasonCode}
            </div>
          )}
        </div>
      ),
    },
    { title: t('logs.configVersion'), dataIndex: 'configVersion', width: 90, responsive: ['xl'], render: (v: number | null) => v ?? '-' },
  ];
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <Space size={4}>
          <Switch size="small" checked={collapse} onChange={setCollapse} data-testid="log-collapse" aria-label={t('logs.collapse')} />
          <Typography.Text>{t('logs.collapse')}</Typography.Text>
        </Space>
        <Select
          aria-label={t('logs.kind')}
          data-testid="log-kind"
          allowClear
          placeholder={t('logs.kind')}
          style={{ width: 130 }}
          value={kind}
          onChange={setKind}
          options={KINDS.map((k) => ({ value: k, label: t(`logs.kinds.${k}`) }))}
        />
        <Select
          aria-label={t('logs.result')}
          data-testid="log-result"
          allowClear
          placeholder={t('logs.result')}
          style={{ width: 110 }}
          value={result}
          onChange={setResult}
          options={(['success', 'failure'] as const).map((r) => ({ value: r, label: t(`logs.results.${r}`) }))}
        />
        <Select
          aria-label={t('logs.reason')}
          data-testid="log-reason-filter"
          allowClear
          placeholder={t('logs.reason')}
          style={{ width: 240 }}
          value={reasonCode}
          onChange={setReasonCode}
          popupMatchSelectWidth={false}
          options={FAILURE_CODES.map((r) => ({ value: r, label: t(`failureTitle.${r}`) }))}
        />
        <DatePicker.RangePicker
          showTime
          size="middle"
          value={range}
          onChange={(v) => setRange(v && v[0] && v[1] ? [v[0], v[1]] : null)}
          data-testid="log-range"
        />
        <Input.Search
          aria-label={t('logs.search')}
          data-testid="log-search"
          allowClear
          placeholder={t('logs.search')}
          style={{ width: 220 }}
          onSearch={(v) => setQ(v.trim() || undefined)}
        />
        <Button
          icon={<DownloadOutlined />}
          data-testid="log-export"
          loading={exporter.busy}
          onClick={() =>
            exporter.run({ collapse: String(collapse), kind, result, reasonCode, q, from: range?.[0].toISOString(), to: range?.[1].toISOString() })
          }
        >
          {t('common.excel')}
        </Button>
      </Space>
      <Table<Entry>
        data-testid="tunnel-logs"
        {...listTableProps(list, t)}
        size="small"
        columns={columns}
        expandable={{
          rowExpandable: (e) => e.lines.length > 0,
          expandedRowRender: (e) => (
            <Typography.Paragraph style={{ margin: 0 }}>
              <pre style={{ margin: 0, maxHeight: 320, overflow: 'auto', fontSize: 12 }}>{e.lines.join('\n')}</pre>
            </Typography.Paragraph>
          ),
        }}
        locale={{ emptyText: kind || result || reasonCode || range || q ? t('logs.noMatch') : t('logs.empty') }}
      />
    </>
  );
}
