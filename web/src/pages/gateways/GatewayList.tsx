import { useState } from 'react';
import { Button, Space, Table, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { firstPageNow, takeFirstPage } from '../../api/prefetch';
import { useExport } from '../../components/exportList';
import { gatewayReason } from '../../components/systemText';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { ResourceStateTag } from '../../components/state';
import { ListEmpty, useUrlSearch } from '../../components/urlSearch';
import { useList, type Page } from '../../components/useList';
import { RenewModal } from './RenewModal';
import { useGatewayDelete } from './useGatewayDelete';

type Gateway = Schemas['GatewayDto'];

export default function GatewayList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<string[]>([]);
  const exporter = useExport('vpn-gateways', 'vpn-gateways.xlsx');
  const [renewing, setRenewing] = useState<Gateway | null>(null);
  const [q, setQ, clearSearch] = useUrlSearch();
  const list = useList<Gateway>(
    async (p) => (await takeFirstPage<Page<Gateway>>('/api/v1/vpn-gateways', p)) ?? call(api.GET('/api/v1/vpn-gateways', { params: { query: p } })),
    {
      initial: () => (q ? null : firstPageNow<Page<Gateway>>('/api/v1/vpn-gateways')),
      filters: { q },
      live: ['gateways'],
    },
  );
  const { confirmDelete, confirmBatchDelete } = useGatewayDelete(() => {
    setSelected([]);
    void list.reload();
  });

  const columns: TableColumnsType<Gateway> = [
    {
      title: t('gateway.nameId'),
      dataIndex: 'name',
      sorter: true,
      render: (_, g) => (
        <div>
          <Link to={`/vpn-gateways/${g.id}`} data-testid="gateway-link">
            {g.name}
          </Link>
          <div>
            <Typography.Text type="secondary" copyable={{ text: g.id }} style={{ fontSize: 12 }}>
              {g.id}
            </Typography.Text>
          </div>
        </div>
      ),
    },
    // Columns by priority (issue 17): at 1024 px the creation time and the separate charge-type
    // column give way (the charge type stays under the expiry); nothing scrolls sideways.
    {
      title: t('common.state'),
      dataIndex: 'resourceState',
      render: (_, g) => <ResourceStateTag state={g.resourceState} reason={gatewayReason(g.stateReason, t)} />,
    },
    { title: t('gateway.externalIp'), render: (_, g) => g.externalIp?.address ?? '-' },
    {
      title: t('gateway.vpcSubnet'),
      render: (_, g) => (
        <div>
          <div>{`${g.vpc.name} (${g.vpc.cidr})`}</div>
          <div className="sub">{`${g.subnet.name} (${g.subnet.cidr})`}</div>
        </div>
      ),
    },
    { title: t('gateway.tunnelCount'), dataIndex: 'tunnelCount', sorter: true },
    {
      title: t('gateway.expiresAt'),
      dataIndex: 'expiresAt',
      sorter: true,
      render: (v: string, g) => (
        <div>
          <div>{fmtTime(v)}</div>
          <div className="sub">{t(`charge.${g.chargeType}`)}</div>
        </div>
      ),
    },
    { title: t('gateway.chargeType'), dataIndex: 'chargeType', responsive: ['xl'], render: (v: Gateway['chargeType']) => t(`charge.${v}`) },
    { title: t('common.createdAt'), dataIndex: 'createdAt', sorter: true, responsive: ['xxl'], render: (v: string) => fmtTime(v) },
    {
      title: t('common.actions'),
      render: (_, g) => (
        <Space size={0}>
          <Button type="link" size="small" onClick={() => navigate(`/vpn-gateways/${g.id}`)}>
            {t('common.detail')}
          </Button>
          <Button type="link" size="small" data-testid="renew" onClick={() => setRenewing(g)} disabled={g.resourceState === 'deleting'}>
            {t('gateway.renew')}
          </Button>
          <Button type="link" size="small" danger data-testid="row-delete" onClick={() => confirmDelete(g)} disabled={g.resourceState === 'deleting'}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.gateways')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('gateway.intro')}</Typography.Paragraph>
      <ListToolbar
        onCreate={() => navigate('/vpn-gateways/new')}
        createLabel={t('gateway.create')}
        onSearch={setQ}
        searchDefault={q}
        onReload={list.reload}
        selectedCount={selected.length}
        onBatchDelete={() => confirmBatchDelete(list.data.items.filter((g) => selected.includes(g.id)))}
        exporting={exporter.busy}
        onExport={() => exporter.run({ q })}
      />
      <Table<Gateway>
        data-testid="gateway-table"
        {...listTableProps(list, t)}
        columns={columns}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
        locale={{
          emptyText: (
            <ListEmpty
              filtered={!!q}
              onClear={clearSearch}
              firstUse=<>
                <div>{t('gateway.empty')}</div>
                <div>
                  {t('tunnel.firstUse')} <Link to="/vpn-gateways/new">{t('gateway.create')}</Link> → <Link to="/peer-gateways">{t('menu.peers')}</Link> →{' '}
                  <Link to="/vpn-tunnels/new">{t('tunnel.create')}</Link>
                </div>
              </>
            />
          ),
        }}
      />
      <RenewModal
        gateway={renewing}
        onClose={(changed) => {
          setRenewing(null);
          if (changed) void list.reload();
        }}
      />
    </>
  );
}
