import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Form, InputNumber, Input, Row, Select, Statistic, Table, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { money } from '../../components/money';
import { getRole } from '../../auth';
import { useSubmit } from '../../components/errors';
import { useExport } from '../../components/exportList';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { useList } from '../../components/useList';
import { useUrlParams } from '../../components/urlSearch';

type Order = Schemas['OrderDto'];
type LedgerEntry = Schemas['LedgerEntryDto'];
type Usage = Schemas['TenantUsageDto'];

export default function Billing() {
  const { t } = useTranslation();
  const operator = getRole() === 'operator';
  const [account, setAccount] = useState<Schemas['AccountDto'] | null>(null);
  // The open tab and each list's search and kind live in the URL (?tab=ledger&ledgerKind=refund).
  const [url, setUrl] = useUrlParams(['tab'] as const);
  useEffect(() => {
    if (!operator)
      void call(api.GET('/api/v1/account'))
        .then(setAccount)
        .catch(() => undefined);
  }, [operator]);

  return (
    <>
      <Typography.Title level={4}>{t('menu.billing')}</Typography.Title>
      {!operator && (
        <Card style={{ marginBottom: 16 }} data-testid="account-card">
          <Statistic title={t('billing.balance')} value={account ? money(account.balance, account.currency) : '-'} />
        </Card>
      )}
      <Tabs
        activeKey={url.tab}
        onChange={(k) => setUrl('tab', k)}
        items={[
          ...(operator ? [{ key: 'usage', label: t('billing.usage'), children: <UsageTab /> }] : []),
          { key: 'orders', label: t('billing.orders'), children: <OrdersTab operator={operator} /> },
          { key: 'ledger', label: t('billing.ledger'), children: <LedgerTab operator={operator} /> },
          ...(operator ? [{ key: 'settings', label: t('billing.settings'), children: <SettingsTab /> }] : []),
        ]}
      />
    </>
  );
}

function OrdersTab({ operator }: { operator: boolean }) {
  const { t } = useTranslation();
  const [url, setUrl] = useUrlParams(['ordersQ', 'ordersKind'] as const);
  const q = url.ordersQ;
  const kind = url.ordersKind;
  const setKind = (v: string | undefined) => setUrl('ordersKind', v);
  const list = useList<Order>((p) => call(api.GET('/api/v1/orders', { params: { query: p } })), { filters: { kind, q } });
  const exp = useExport('orders', 'orders.xlsx');
  const columns: TableColumnsType<Order> = [
    { title: t('billing.orderId'), dataIndex: 'id' },
    ...(operator ? [{ title: t('billing.tenant'), dataIndex: 'tenantId' }] : []),
    { title: t('billing.kind'), dataIndex: 'kind', render: (v: Order['kind']) => <Tag>{t(`billing.orderKinds.${v}`)}</Tag> },
    { title: t('billing.gateway'), render: (_, o) => (operator ? o.gatewayName : <Link to={`/vpn-gateways/${o.gatewayId}`}>{o.gatewayName}</Link>) },
    { title: t('gateway.chargeType'), dataIndex: 'chargeType', render: (v: Order['chargeType']) => t(`charge.${v}`) },
    { title: t('gateway.period'), render: (_, o) => t(`period.${o.chargeType}`, { count: o.period }) },
    { title: t('gateway.unitPrice'), render: (_, o) => money(o.unitPrice, o.currency) },
    { title: t('billing.amount'), render: (_, o) => <strong>{money(o.amount, o.currency)}</strong> },
    { title: t('billing.refunded'), render: (_, o) => (o.refundedAmount ? money(o.refundedAmount, o.currency) : '-') },
    { title: t('billing.paidPeriod'), render: (_, o) => `${fmtTime(o.periodStart)} ~ ${fmtTime(o.periodEnd)}` },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) },
  ];
  return (
    <>
      <ListToolbar
        onSearch={(v) => setUrl('ordersQ', v)}
        searchDefault={q}
        onReload={list.reload}
        onExport={() => exp.run({ q, kind })}
        exporting={exp.busy}
        extra={
          <Select
            aria-label={t('billing.kind')}
            allowClear
            placeholder={t('billing.kind')}
            style={{ width: 160 }}
            value={kind}
            onChange={setKind}
            options={(['purchase', 'renewal', 'auto_renewal'] as const).map((k) => ({ value: k, label: t(`billing.orderKinds.${k}`) }))}
          />
        }
      />
      <Table<Order> data-testid="order-table" {...listTableProps(list, t)} columns={columns} locale={{ emptyText: t('billing.noOrders') }} />
    </>
  );
}

function LedgerTab({ operator }: { operator: boolean }) {
  const { t } = useTranslation();
  const [url, setUrl] = useUrlParams(['ledgerQ', 'ledgerKind'] as const);
  const q = url.ledgerQ;
  const kind = url.ledgerKind;
  const setKind = (v: string | undefined) => setUrl('ledgerKind', v);
  const list = useList<LedgerEntry>((p) => call(api.GET('/api/v1/ledger', { params: { query: p } })), { filters: { kind, q } });
  const exp = useExport('ledger', 'ledger.xlsx');
  const columns: TableColumnsType<LedgerEntry> = [
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) },
    ...(operator ? [{ title: t('billing.tenant'), dataIndex: 'tenantId' }] : []),
    {
      title: t('billing.kind'),
      dataIndex: 'kind',
      render: (v: LedgerEntry['kind']) => <Tag color={v === 'charge' ? 'orange' : 'green'}>{t(`billing.ledgerKinds.${v}`)}</Tag>,
    },
    { title: t('billing.amount'), render: (_, e) => <span style={{ color: e.amount < 0 ? '#cf1322' : '#389e0d' }}>{money(e.amount, e.currency)}</span> },
    { title: t('billing.balanceAfter'), render: (_, e) => money(e.balanceAfter, e.currency) },
    { title: t('billing.orderId'), dataIndex: 'orderId', render: (v: string | null) => v ?? '-' },
    { title: t('billing.description'), dataIndex: 'description', ellipsis: true },
  ];
  return (
    <>
      <ListToolbar
        onSearch={(v) => setUrl('ledgerQ', v)}
        searchDefault={q}
        onReload={list.reload}
        onExport={() => exp.run({ q, kind })}
        exporting={exp.busy}
        extra={
          <Select
            aria-label={t('billing.kind')}
            allowClear
            placeholder={t('billing.kind')}
            style={{ width: 160 }}
            value={kind}
            onChange={setKind}
            options={(['top_up', 'charge', 'refund'] as const).map((k) => ({ value: k, label: t(`billing.ledgerKinds.${k}`) }))}
          />
        }
      />
      <Table<LedgerEntry> data-testid="ledger-table" {...listTableProps(list, t)} columns={columns} locale={{ emptyText: t('billing.noLedger') }} />
    </>
  );
}

function UsageTab() {
  const { t } = useTranslation();
  const [items, setItems] = useState<Usage[]>([]);
  const [loading, setLoading] = useState(true);
  const load = () => {
    setLoading(true);
    void call(api.GET('/api/v1/billing/usage'))
      .then((u) => setItems(u.items))
      .catch(() => undefined)
      .finally(() => setLoading(false));
  };
  useEffect(load, []);
  const columns: TableColumnsType<Usage> = [
    { title: t('billing.tenant'), render: (_, u) => `${u.tenantName} (${u.tenantId})` },
    { title: t('billing.balance'), render: (_, u) => money(u.balance, u.currency) },
    {
      title: t('menu.gateways'),
      render: (_, u) => Object.entries(u.gateways).map(([s, n]) => <Tag key={s}>{`${t(`state.resource.${s}`, { defaultValue: s })}: ${n}`}</Tag>),
    },
    { title: t('billing.orders'), dataIndex: 'orders' },
    { title: t('billing.charged'), render: (_, u) => money(u.charged, u.currency) },
    { title: t('billing.refunded'), render: (_, u) => money(u.refunded, u.currency) },
    { title: t('billing.toppedUp'), render: (_, u) => money(u.toppedUp, u.currency) },
  ];
  return (
    <>
      <ListToolbar onReload={load} />
      <Table<Usage> data-testid="usage-table" rowKey="tenantId" size="middle" loading={loading} columns={columns} dataSource={items} pagination={false} />
    </>
  );
}

// The integer settings: 0 up to max.
const INT_SETTINGS = [
  { name: 'retentionHours', label: 'billing.retentionHours', max: 8760 },
  { name: 'noticeLeadHours', label: 'billing.noticeLeadHours', max: 720 },
  { name: 'autoRenewLeadMinutes', label: 'billing.autoRenewLeadMinutes', max: 1440 },
  { name: 'sweepIntervalSeconds', label: 'billing.sweepIntervalSeconds', max: 86400 },
] as const;

function SettingsTab() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Schemas['BillingSettingsDto']>();
  useEffect(() => {
    void call(api.GET('/api/v1/billing/settings'))
      .then((s) => form.setFieldsValue(s))
      .catch(() => undefined);
  }, [form]);
  const { busy, submit: save } = useSubmit(form, async (v) => {
    form.setFieldsValue(await call(api.PUT('/api/v1/billing/settings', { body: v })));
    void message.success(t('common.saved'));
  });
  return (
    <Form form={form} layout="vertical" style={{ maxWidth: 560 }} data-testid="billing-settings">
      <Row gutter={16}>
        {INT_SETTINGS.map(({ name, label, max }) => (
          <Col span={12} key={name}>
            <Form.Item
              name={name}
              label={t(label)}
              rules={[
                { required: true, message: t('validation.required') },
                { type: 'integer', min: 0, max, message: t('billing.intRange', { min: 0, max }) },
              ]}
            >
              <InputNumber style={{ width: '100%' }} precision={0} />
            </Form.Item>
          </Col>
        ))}
        <Col span={12}>
          <Form.Item name="currency" label={t('billing.currency')} rules={[{ required: true, pattern: /^[A-Z]{3}$/, message: t('billing.currencyRule') }]}>
            <Input maxLength={3} />
          </Form.Item>
        </Col>
      </Row>
      <Button type="primary" loading={busy} onClick={save}>
        {t('common.save')}
      </Button>
    </Form>
  );
}
