import { lazy, Suspense, useState } from 'react';
import { App, Button, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { firstPageNow, takeFirstPage } from '../../api/prefetch';
import { useConfirmDelete } from '../../components/deleteGuard';
import { useExport } from '../../components/exportList';
import { fmtTime } from '../../components/format';
import { Since } from '../../components/since';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { CONNECTION_STATES, ConnStateTag, ResourceStateTag, type ConnectionState } from '../../components/state';
import { useList, type Page } from '../../components/useList';

// Loaded on the first "download" click: its form controls are not part of the list's first render.
const ConfigDownloadModal = lazy(() => import('./ConfigDownloadModal').then((m) => ({ default: m.ConfigDownloadModal })));

type Tunnel = Schemas['TunnelDto'];

export function failureMessage(t: Tunnel): string | undefined {
  const f = t.failure as { message?: string } | null | undefined;
  return f?.message;
}

/** Why the tunnel is in its state, in the page's language: the failure's title, else what the state means. */
export function stateReason(x: Tunnel, t: TFunction): string {
  const f = x.failure as { code?: string; message?: string } | null | undefined;
  if (f?.code) return t(`failureTitle.${f.code}`, { defaultValue: t('failureTitle.unknown') });
  if (x.connectionState === 'connected') return t('tunnel.reasonUp');
  // Leaving `connected` clears connectedAt and stamps disconnectedAt (the store): a tunnel that was up has one.
  return x.disconnectedAt ? t('tunnel.reasonReconnecting') : t('tunnel.reasonFirst');
}

export default function TunnelList() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const confirmDelete = useConfirmDelete();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<string[]>([]);
  const exporter = useExport('vpn-tunnels', 'vpn-tunnels.xlsx');
  const [configFor, setConfigFor] = useState<Tunnel | null>(null);
  // Search and filters live in the URL (a link or a reload keeps them): ?q=, ?connectionState=,
  // ?gatewayId= / ?peerId= (links from a gateway's or peer's page).
  const [search, setSearch] = useSearchParams();
  const gatewayId = search.get('gatewayId') ?? undefined;
  const peerId = search.get('peerId') ?? undefined;
  const q = search.get('q') ?? undefined;
  const connFilter = (CONNECTION_STATES as string[]).includes(search.get('connectionState') ?? '')
    ? (search.get('connectionState') as ConnectionState)
    : undefined;
  const setParam = (name: string, value: string | undefined) =>
    setSearch((s) => {
      const next = new URLSearchParams(s);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });
  const filtered = !!(gatewayId || peerId || q || connFilter);
  const list = useList<Tunnel>(
    async (p) => (await takeFirstPage<Page<Tunnel>>('/api/v1/vpn-tunnels', p)) ?? call(api.GET('/api/v1/vpn-tunnels', { params: { query: p } })),
    {
      initial: () => (filtered ? null : firstPageNow<Page<Tunnel>>('/api/v1/vpn-tunnels')),
      live: ['tunnels'],
      filters: { connectionState: connFilter, gatewayId, peerId, q },
    },
  );

  const remove = (tunnels: Tunnel[]) => {
    if (!tunnels.length) return;
    confirmDelete({
      title: t('tunnel.deleteTitle'),
      content:
        tunnels.length === 1
          ? t('tunnel.deleteConfirm', { name: `${tunnels[0].name} (${tunnels[0].id})` })
          : t('common.batchDeleteConfirm', { count: tunnels.length, names: tunnels.map((x) => x.name).join(', ') }),
      run: async () => {
        if (tunnels.length === 1) await call(api.DELETE('/api/v1/vpn-tunnels/{id}', { params: { path: { id: tunnels[0].id } } }));
        else await call(api.POST('/api/v1/vpn-tunnels/batch-delete', { body: { ids: tunnels.map((x) => x.id) } }));
        void message.success(t('common.batchDeleted', { count: tunnels.length }));
        setSelected([]);
        void list.reload();
      },
    });
  };

  const columns: TableColumnsType<Tunnel> = [
    {
      title: t('tunnel.nameId'),
      dataIndex: 'name',
      sorter: true,
      render: (_, x) => (
        <div>
          <Link to={`/vpn-tunnels/${x.id}`} data-testid="tunnel-link">
            {x.name}
          </Link>
          <div className="sub">{x.id}</div>
        </div>
      ),
    },
    {
      title: t('tunnel.gateway'),
      render: (_, x) => (
        <div>
          <div>{x.gateway.name}</div>
          <div className="sub">{x.gateway.ip}</div>
        </div>
      ),
    },
    {
      title: t('tunnel.peer'),
      render: (_, x) => (
        <div>
          <div>{x.peer.name}</div>
          <div className="sub">{x.peer.ip}</div>
        </div>
      ),
    },
    // Columns by priority (issue 17): the creation time only on wide screens, the resource state from 1200 px.
    { title: t('common.createdAt'), dataIndex: 'createdAt', sorter: true, responsive: ['xxl'], render: (v: string) => fmtTime(v) },
    {
      title: t('tunnel.resourceState'),
      dataIndex: 'resourceState',
      sorter: true,
      responsive: ['xl'],
      render: (_, x) => <ResourceStateTag state={x.resourceState} />,
    },
    {
      title: t('tunnel.connectionState'),
      dataIndex: 'connectionState',
      sorter: true,
      render: (_, x) => (
        <div>
          <ConnStateTag state={x.connectionState} reason={failureMessage(x)} />
          {x.subnetPairs.total > 1 && x.subnetPairs.up > 0 && x.subnetPairs.up < x.subnetPairs.total && (
            <Tag color="warning" data-testid="pairs-partial">
              {t('tunnel.pairsShort', { up: x.subnetPairs.up, total: x.subnetPairs.total })}
            </Tag>
          )}
          <div className="sub" data-testid="state-reason">
            {stateReason(x, t)}
          </div>
        </div>
      ),
    },
    { title: t('tunnel.stateSince'), dataIndex: 'stateChangedAt', sorter: true, render: (v: string) => <Since at={v} testId="state-since" /> },
    {
      title: t('common.actions'),
      render: (_, x) => (
        <Space size={0}>
          <Button type="link" size="small" data-testid="row-download-config" onClick={() => setConfigFor(x)}>
            {t('tunnel.downloadConfig')}
          </Button>
          <Button type="link" size="small" danger data-testid="row-delete" disabled={x.resourceState === 'deleting'} onClick={() => remove([x])}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.tunnels')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('tunnel.intro')}</Typography.Paragraph>
      <ListToolbar
        onCreate={() => navigate('/vpn-tunnels/new')}
        createLabel={t('tunnel.create')}
        onSearch={(v) => setParam('q', v.trim() || undefined)}
        searchDefault={q}
        searchPlaceholder={t('tunnel.searchPlaceholder')}
        onReload={list.reload}
        selectedCount={selected.length}
        onBatchDelete={() => remove(list.data.items.filter((x) => selected.includes(x.id)))}
        exporting={exporter.busy}
        extra={
          <>
            {(gatewayId || peerId) && (
              <Tag
                closable
                onClose={() => {
                  setParam('gatewayId', undefined);
                  setParam('peerId', undefined);
                }}
                data-testid="list-filter"
              >
                {gatewayId ? `${t('tunnel.gateway')}: ${gatewayId}` : `${t('tunnel.peer')}: ${peerId}`}
              </Tag>
            )}
            <Select
              data-testid="conn-filter"
              aria-label={t('tunnel.connectionState')}
              allowClear
              placeholder={t('tunnel.connectionState')}
              style={{ width: 180 }}
              value={connFilter}
              onChange={(v) => setParam('connectionState', v)}
              options={CONNECTION_STATES.map((s) => ({ value: s, label: t(`state.connection.${s}`) }))}
            />
          </>
        }
        onExport={() => exporter.run({ q, connectionState: connFilter, gatewayId, peerId })}
      />
      <Table<Tunnel>
        data-testid="tunnel-table"
        {...listTableProps(list, t)}
        columns={columns}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
        locale={{
          emptyText: filtered ? (
            <div data-testid="empty-filtered">
              {t('common.nothingMatches')}{' '}
              <Button type="link" size="small" data-testid="clear-filters" onClick={() => navigate('/vpn-tunnels')}>
                {t('common.clearFilters')}
              </Button>
            </div>
          ) : (
            <div data-testid="empty-first-use">
              <div>{t('tunnel.empty')}</div>
              <div>
                {t('tunnel.firstUse')} <Link to="/vpn-gateways/new">{t('gateway.create')}</Link> → <Link to="/peer-gateways">{t('menu.peers')}</Link> →{' '}
                <Link to="/vpn-tunnels/new">{t('tunnel.create')}</Link>
              </div>
            </div>
          ),
        }}
      />
      {configFor && (
        <Suspense fallback={null}>
          <ConfigDownloadModal tunnel={configFor} onClose={() => setConfigFor(null)} />
        </Suspense>
      )}
    </>
  );
}
