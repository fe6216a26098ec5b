import { Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { fmtTime } from '../../components/format';
import { listTableProps } from '../../components/ListToolbar';
import { useList } from '../../components/useList';

type Entry = Schemas['TunnelLogEntryDto'];

/** The connection log: what each negotiation did and why it failed, with charon's lines. */
export function TunnelLogs({ tunnelId }: { tunnelId: string }) {
  const { t, i18n } = useTranslation();
  const list = useList<Entry>(
    (p) => call(api.GET('/api/v1/vpn-tunnels/{id}/logs', { params: { path: { id: tunnelId }, query: { offset: p.offset, limit: Math.min(p.limit, 200) } } })),
    { live: ['tunnels'] },
  );
  const summary = (e: Entry): string => {
    if (e.reasonCode) return t(`failureTitle.${e.reasonCode}`, { defaultValue: e.message ?? e.reasonCode });
    const key = e.kind === 'config' ? `config_${e.result ?? 'success'}` : e.kind;
    return t(`logs.summaries.${key}`, { version: e.configVersion ?? '', defaultValue: e.message ?? '-' });
  };
  const columns: TableColumnsType<Entry> = [
    { title: t('logs.at'), dataIndex: 'at', width: 180, render: (v: string) => fmtTime(v) },
    { title: t('logs.kind'), dataIndex: 'kind', width: 110, render: (v: Entry['kind']) => t(`logs.kinds.${v}`) },
    {
      title: t('logs.result'),
      dataIndex: 'result',
      width: 100,
      render: (v: Entry['result'] | null) => (v ? <Tag color={v === 'success' ? 'success' : 'error'}>{t(`logs.results.${v}`)}</Tag> : '-'),
    },
    { title: t('logs.phase'), dataIndex: 'phase', width: 80, render: (v: number | null) => v ?? '-' },
    {
      title: t('logs.message'),
      dataIndex: 'message',
      // The API's sentence is English: other languages show the catalogue's summary of the entry
      // (by reason code, else by kind), with the API's sentence on hover.
      render: (v: string | null, e) => <span title={v ?? undefined}>{i18n.language === 'en' && v ? v : summary(e)}</span>,
    },
    { title: t('logs.configVersion'), dataIndex: 'configVersion', width: 110, render: (v: number | null) => v ?? '-' },
  ];
  return (
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
      locale={{ emptyText: t('logs.empty') }}
    />
  );
}
