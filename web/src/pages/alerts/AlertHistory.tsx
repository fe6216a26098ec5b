import { useState } from 'react';
import { Select, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { useList } from '../../components/useList';
import { ruleText } from './AlertTemplates';
import { templateName } from '../../components/systemText';

type Alert = Schemas['AlertDto'];

export default function AlertHistory() {
  const { t } = useTranslation();
  const [state, setState] = useState<Alert['state'] | undefined>(undefined);
  const [resourceType, setResourceType] = useState<'gateway' | 'tunnel' | undefined>(undefined);
  const list = useList<Alert>((p) => call(api.GET('/api/v1/alerts', { params: { query: p } })), {
    filters: { state, resourceType },
    live: ['alerts'],
  });

  const columns: TableColumnsType<Alert> = [
    {
      title: t('alert.state'),
      dataIndex: 'state',
      render: (v: Alert['state']) => (
        <Tag color={v === 'firing' ? 'error' : 'success'} data-testid="alert-state" data-state={v}>
          {t(`alert.states.${v}`)}
        </Tag>
      ),
    },
    {
      title: t('alert.resource'),
      render: (_, a) => (
        <span>
          {t(`alert.resourceTypes.${a.resource.type}`)}:{' '}
          <Link to={a.resource.type === 'gateway' ? `/vpn-gateways/${a.resource.id}` : `/vpn-tunnels/${a.resource.id}`}>
            {a.resource.name || a.resource.id}
          </Link>
        </span>
      ),
    },
    { title: t('alert.rule'), render: (_, a) => ruleText(a.rule, t) },
    {
      title: t('alert.value'),
      render: (_, a) => (a.state === 'resolved' && a.resolvedValue !== null && a.resolvedValue !== undefined ? `${a.value} → ${a.resolvedValue}` : a.value),
    },
    { title: t('alert.template'), dataIndex: 'templateName', render: (v: string) => templateName(v, t) },
    { title: t('alert.firedAt'), dataIndex: 'firedAt', render: (v: string) => fmtTime(v) },
    { title: t('alert.resolvedAt'), dataIndex: 'resolvedAt', render: (v: string | null) => fmtTime(v) },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.alerts')}</Typography.Title>
      <ListToolbar
        onSearch={list.search}
        onReload={list.reload}
        extra={
          <>
            <Select
              aria-label={t('alert.state')}
              allowClear
              placeholder={t('alert.state')}
              style={{ width: 140 }}
              value={state}
              onChange={setState}
              options={(['firing', 'resolved'] as const).map((s) => ({ value: s, label: t(`alert.states.${s}`) }))}
            />
            <Select
              aria-label={t('alert.resource')}
              allowClear
              placeholder={t('alert.resource')}
              style={{ width: 140 }}
              value={resourceType}
              onChange={setResourceType}
              options={(['gateway', 'tunnel'] as const).map((s) => ({ value: s, label: t(`alert.resourceTypes.${s}`) }))}
            />
          </>
        }
      />
      <Table<Alert> data-testid="alert-table" {...listTableProps(list, t)} columns={columns} locale={{ emptyText: t('alert.historyEmpty') }} />
    </>
  );
}
