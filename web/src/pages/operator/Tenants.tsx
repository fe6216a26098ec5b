import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Descriptions, Drawer, Form, Input, InputNumber, Modal, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { money } from '../../components/money';
import { useConfirmDelete } from '../../components/deleteGuard';
import { useSubmit } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { nameRules } from '../../components/rules';
import { useList } from '../../components/useList';
import { useUrlSearch } from '../../components/urlSearch';

type Tenant = Schemas['TenantDto'];

export default function Tenants() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<Tenant | null>(null);
  const [form] = Form.useForm<{ name: string }>();
  // The search lives in the URL (?q=): a reload or a shared link shows the same tenants.
  const [q, setQ] = useUrlSearch();
  const list = useList<Tenant>((p) => call(api.GET('/api/v1/tenants', { params: { query: p } })), { live: ['tenants'], filters: { q } });

  const { busy, submit: create } = useSubmit(form, async (v) => {
    const tenant = await call(api.POST('/api/v1/tenants', { body: v }));
    void message.success(t('common.createdOk', { name: tenant.name }));
    setCreating(false);
    form.resetFields();
    void list.reload();
    setOpen(tenant);
  });

  const columns: TableColumnsType<Tenant> = [
    { title: t('common.name'), dataIndex: 'name' },
    { title: t('common.id'), dataIndex: 'id', render: (v: string) => <Typography.Text copyable>{v}</Typography.Text> },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) },
    {
      title: t('common.actions'),
      render: (_, x) => (
        <Button type="link" size="small" data-testid="tenant-manage" onClick={() => setOpen(x)}>
          {t('op.manage')}
        </Button>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.tenants')}</Typography.Title>
      <ListToolbar onCreate={() => setCreating(true)} createLabel={t('op.createTenant')} onSearch={setQ} searchDefault={q} onReload={list.reload} />
      <Table<Tenant> data-testid="tenant-table" {...listTableProps(list, t)} columns={columns} />
      <Modal
        open={creating}
        title={t('op.createTenant')}
        onOk={create}
        onCancel={() => setCreating(false)}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        forceRender
        afterOpenChange={(open) => open && document.querySelector<HTMLInputElement>('.ant-modal [data-testid="name-input"]')?.focus()}
      >
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
            <Input data-testid="name-input" />
          </Form.Item>
        </Form>
      </Modal>
      <TenantDrawer tenant={open} onClose={() => setOpen(null)} />
    </>
  );
}

function TenantDrawer({ tenant, onClose }: { tenant: Tenant | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const confirmDelete = useConfirmDelete();
  const [keys, setKeys] = useState<Schemas['ApiKeyDto'][]>([]);
  const [account, setAccount] = useState<{ balance: number; currency: string } | null>(null);
  const [issued, setIssued] = useState<string | null>(null);
  const [keyForm] = Form.useForm<{ name: string }>();
  const [topUpForm] = Form.useForm<{ amount: number; description?: string }>();

  const load = useCallback(() => {
    if (!tenant) return;
    void call(api.GET('/api/v1/tenants/{id}/api-keys', { params: { path: { id: tenant.id } } }))
      .then((k) => setKeys(k))
      .catch(() => undefined);
    void call(api.GET('/api/v1/tenants/{id}/account', { params: { path: { id: tenant.id } } }))
      .then(setAccount)
      .catch(() => setAccount(null));
  }, [tenant]);
  useEffect(() => {
    setIssued(null);
    load();
  }, [load]);

  const { submit: issue } = useSubmit(keyForm, async (v) => {
    if (!tenant) return;
    const k = await call(api.POST('/api/v1/tenants/{id}/api-keys', { params: { path: { id: tenant.id } }, body: v }));
    setIssued(k.key);
    keyForm.resetFields();
    load();
  });

  const { submit: topUp } = useSubmit(topUpForm, async (v) => {
    if (!tenant) return;
    await call(
      api.POST('/api/v1/tenants/{id}/top-ups', {
        params: { path: { id: tenant.id } },
        body: { amount: Math.round(v.amount * 100), description: v.description || undefined },
      }),
    );
    void message.success(t('op.toppedUp'));
    topUpForm.resetFields();
    load();
  });

  const columns: TableColumnsType<Schemas['ApiKeyDto']> = [
    // Widths that fit the drawer's 712 px of content (issue 17): a long key name is cut with an ellipsis, not the table.
    { title: t('common.name'), dataIndex: 'name', ellipsis: { showTitle: true } },
    { title: t('op.keyPrefix'), dataIndex: 'keyPrefix', width: 130, render: (v: string) => <code>{v}…</code> },
    { title: t('common.createdAt'), dataIndex: 'createdAt', width: 170, render: (v: string) => fmtTime(v) },
    { title: t('common.state'), width: 100, render: (_, k) => (k.revokedAt ? <Tag>{t('op.revoked')}</Tag> : <Tag color="success">{t('op.active')}</Tag>) },
    {
      title: t('common.actions'),
      width: 90,
      render: (_, k) =>
        !k.revokedAt && (
          <Button
            type="link"
            danger
            size="small"
            data-testid="revoke-key"
            onClick={() =>
              confirmDelete({
                title: t('op.revoke'),
                content: t('op.revokeConfirm', { name: k.name }),
                okText: t('op.revoke'),
                run: async () => {
                  await call(api.DELETE('/api/v1/tenants/{id}/api-keys/{keyId}', { params: { path: { id: tenant!.id, keyId: k.id } } }));
                  load();
                },
              })
            }
          >
            {t('op.revoke')}
          </Button>
        ),
    },
  ];

  return (
    <Drawer open={!!tenant} width={760} title={tenant ? `${tenant.name} (${tenant.id})` : ''} onClose={onClose}>
      <Descriptions column={1} size="small" style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('billing.balance')}>{account ? money(account.balance, account.currency) : '-'}</Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t('op.topUp')}</Typography.Title>
      <Form form={topUpForm} layout="inline" style={{ marginBottom: 24 }}>
        <Form.Item
          name="amount"
          rules={[
            { required: true, message: t('validation.required') },
            { type: 'number', min: 0.01, message: t('op.amountRule') },
          ]}
        >
          <InputNumber min={0.01} precision={2} placeholder={t('op.amount', { currency: account?.currency ?? '' })} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="description" rules={[{ max: 200, message: t('validation.remarkRule') }]}>
          <Input placeholder={t('billing.description')} style={{ width: 240 }} />
        </Form.Item>
        <Button type="primary" onClick={topUp} data-testid="top-up">
          {t('op.topUp')}
        </Button>
      </Form>
      <Typography.Title level={5}>{t('op.apiKeys')}</Typography.Title>
      {issued && (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          message={t('op.keyIssued')}
          description={
            <Typography.Text copyable code data-testid="issued-key">
              {issued}
            </Typography.Text>
          }
        />
      )}
      <Space style={{ marginBottom: 16 }}>
        <Form form={keyForm} layout="inline">
          <Form.Item name="name" rules={nameRules(t)}>
            <Input placeholder={t('op.keyName')} />
          </Form.Item>
          <Button type="primary" onClick={issue} data-testid="issue-key">
            {t('op.issueKey')}
          </Button>
        </Form>
      </Space>
      <Table data-testid="api-key-table" rowKey="id" size="small" tableLayout="fixed" columns={columns} dataSource={keys} pagination={false} />
    </Drawer>
  );
}
