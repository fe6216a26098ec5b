import { useEffect, useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Space, Table, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { firstPageNow, takeFirstPage } from '../../api/prefetch';
import { useSubmit } from '../../components/errors';
import { useExport } from '../../components/exportList';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { nameRules, remarkRules } from '../../components/rules';
import { peerAddressProblem } from '../../shared';
import { ListEmpty, useUrlSearch } from '../../components/urlSearch';
import { useList, type Page } from '../../components/useList';
import { useConfirmDelete, useDeleteGuard } from '../../components/deleteGuard';

type Peer = Schemas['PeerDto'];

export default function PeerList() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [selected, setSelected] = useState<string[]>([]);
  const exporter = useExport('peer-gateways', 'peer-gateways.xlsx');
  const [editing, setEditing] = useState<Peer | 'new' | null>(null);
  const [q, setQ, clearSearch] = useUrlSearch();
  const list = useList<Peer>(
    async (p) => (await takeFirstPage<Page<Peer>>('/api/v1/peer-gateways', p)) ?? call(api.GET('/api/v1/peer-gateways', { params: { query: p } })),
    {
      initial: () => (q ? null : firstPageNow<Page<Peer>>('/api/v1/peer-gateways')),
      filters: { q },
      live: ['peers'],
    },
  );

  const blocked = useDeleteGuard('peerId', { title: t('peer.deleteBlockedTitle'), body: t('peer.deleteBlocked') });
  const confirmDelete = useConfirmDelete();

  const remove = async (peers: Peer[]) => {
    if (!peers.length || (await blocked(peers))) return;
    confirmDelete({
      title: t('peer.deleteTitle'),
      content:
        peers.length === 1
          ? t('peer.deleteConfirm', { name: `${peers[0].name} (${peers[0].id})` })
          : t('common.batchDeleteConfirm', { count: peers.length, names: peers.map((p) => p.name).join(', ') }),
      run: async () => {
        if (peers.length === 1) await call(api.DELETE('/api/v1/peer-gateways/{id}', { params: { path: { id: peers[0].id } } }));
        else await call(api.POST('/api/v1/peer-gateways/batch-delete', { body: { ids: peers.map((p) => p.id) } }));
        void message.success(t('common.batchDeleted', { count: peers.length }));
        setSelected([]);
        void list.reload();
      },
    });
  };

  const columns: TableColumnsType<Peer> = [
    { title: t('common.name'), dataIndex: 'name', sorter: true, render: (v: string, p) => <span title={p.remark ?? ''}>{v}</span> },
    { title: t('common.id'), dataIndex: 'id', render: (v: string) => <Typography.Text copyable>{v}</Typography.Text> },
    {
      title: t('peer.ipAddress'),
      dataIndex: 'ipAddress',
      sorter: true,
      render: (v: string) => (v === '0.0.0.0' ? <span title={t('peer.anyHint')}>0.0.0.0 ({t('peer.any')})</span> : v),
    },
    { title: t('gateway.tunnelCount'), dataIndex: 'tunnelCount', width: 100, sorter: true },
    { title: t('common.remark'), dataIndex: 'remark', ellipsis: true },
    { title: t('common.createdAt'), dataIndex: 'createdAt', sorter: true, render: (v: string) => fmtTime(v) },
    {
      title: t('common.actions'),
      render: (_, p) => (
        <Space size={0}>
          <Button type="link" size="small" data-testid="row-edit" onClick={() => setEditing(p)}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger data-testid="row-delete" onClick={() => remove([p])}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.peers')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('peer.intro')}</Typography.Paragraph>
      <ListToolbar
        onCreate={() => setEditing('new')}
        createLabel={t('peer.create')}
        onSearch={setQ}
        searchDefault={q}
        onReload={list.reload}
        selectedCount={selected.length}
        onBatchDelete={() => remove(list.data.items.filter((p) => selected.includes(p.id)))}
        exporting={exporter.busy}
        onExport={() => exporter.run({ q })}
      />
      <Table<Peer>
        data-testid="peer-table"
        {...listTableProps(list, t)}
        columns={columns}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
        locale={{
          emptyText: (
            <ListEmpty
              filtered={!!q}
              onClear={clearSearch}
              firstUse=<>
                <div>{t('peer.empty')}</div>
                <div>
                  {t('tunnel.firstUse')} <Link to="/vpn-gateways/new">{t('gateway.create')}</Link> → <Link to="/peer-gateways">{t('menu.peers')}</Link> →{' '}
                  <Link to="/vpn-tunnels/new">{t('tunnel.create')}</Link>
                </div>
              </>
            />
          ),
        }}
      />
      <PeerModal
        peer={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) void list.reload();
        }}
      />
    </>
  );
}

function PeerModal({ peer, onClose }: { peer: Peer | 'new' | null; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ name: string; remark?: string; ipAddress: string }>();
  const ip = Form.useWatch('ipAddress', form);
  const isNew = peer === 'new';

  useEffect(() => {
    if (!peer) return;
    form.resetFields();
    if (peer !== 'new') form.setFieldsValue({ name: peer.name, remark: peer.remark ?? '', ipAddress: peer.ipAddress });
  }, [peer, form]);

  const { busy, submit } = useSubmit(form, async (v) => {
    if (peer === 'new') {
      const p = await call(api.POST('/api/v1/peer-gateways', { body: { name: v.name, remark: v.remark || undefined, ipAddress: v.ipAddress.trim() } }));
      void message.success(t('common.createdOk', { name: p.name }));
    } else if (peer) {
      await call(api.PATCH('/api/v1/peer-gateways/{id}', { params: { path: { id: peer.id } }, body: { name: v.name, remark: v.remark ?? '' } }));
      void message.success(t('common.saved'));
    }
    onClose(true);
  });

  return (
    <Modal
      open={!!peer}
      title={isNew ? t('peer.create') : t('peer.edit')}
      onOk={submit}
      onCancel={() => onClose(false)}
      okText={isNew ? t('common.create') : t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'peer-submit' }}
      destroyOnHidden
      forceRender
    >
      <Form form={form} layout="vertical" data-testid="peer-form">
        <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
          <Input data-testid="name-input" maxLength={64} showCount autoFocus />
        </Form.Item>
        <Form.Item
          name="ipAddress"
          label={t('peer.ipAddress')}
          extra={t('peer.ipHint')}
          rules={[
            { required: true, message: t('validation.required') },
            {
              validator: async (_r, v: string | undefined) => {
                if (!v) return;
                const p = peerAddressProblem(v.trim());
                if (p) throw new Error(t(`validation.peerIp.${p}`));
              },
            },
          ]}
        >
          <Input data-testid="ip-input" placeholder="203.0.113.7" disabled={!isNew} />
        </Form.Item>
        {ip?.trim() === '0.0.0.0' && <Alert type="info" showIcon message={t('peer.anyHint')} style={{ marginBottom: 16 }} data-testid="any-peer-hint" />}
        <Form.Item name="remark" label={t('common.remark')} rules={remarkRules(t)}>
          <Input.TextArea data-testid="remark-input" maxLength={256} showCount rows={2} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
