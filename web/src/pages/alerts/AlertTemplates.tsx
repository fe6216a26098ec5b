import { useEffect, useState } from 'react';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Drawer, Form, Input, InputNumber, Select, Space, Switch, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { useConfirmDelete } from '../../components/deleteGuard';
import { useSubmit } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { nameRules } from '../../components/rules';
import { useList } from '../../components/useList';
import { templateDescription, templateName } from '../../components/systemText';
import { ruleText } from '../../components/ruleText';

type Template = Schemas['AlertTemplateDto'];
type Rule = Schemas['AlertRuleDto'];

export const METRICS: Rule['metric'][] = [
  'tunnel_health',
  'tunnel_bps_in',
  'tunnel_bps_out',
  'tunnel_pps_in',
  'tunnel_pps_out',
  'gateway_rx_bps',
  'gateway_tx_bps',
  'gateway_rx_pps',
  'gateway_tx_pps',
  'gateway_tx_utilization',
  'gateway_failovers',
];
export const COMPARATORS: Rule['comparator'][] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];
const BOUNDED: Partial<Record<Rule['metric'], number>> = { tunnel_health: 1, gateway_tx_utilization: 1 };
export { ruleText };

export default function AlertTemplates() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const confirmDelete = useConfirmDelete();
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const list = useList<Template>((p) => call(api.GET('/api/v1/alert-templates', { params: { query: p } })));

  const remove = (x: Template) =>
    confirmDelete({
      title: t('alert.deleteTitle'),
      content: t('alert.deleteConfirm', { name: x.name }),
      run: async () => {
        await call(api.DELETE('/api/v1/alert-templates/{id}', { params: { path: { id: x.id } } }));
        void message.success(t('common.deleted', { name: x.name }));
        void list.reload();
      },
    });

  const columns: TableColumnsType<Template> = [
    {
      title: t('common.name'),
      dataIndex: 'name',
      render: (v: string, x) => (
        <Space>
          {templateName(v, t)}
          {x.isDefault && <Tag color="blue">{t('alert.default')}</Tag>}
        </Space>
      ),
    },
    { title: t('alert.description'), dataIndex: 'description', ellipsis: true, render: (v: string | null) => templateDescription(v, t) },
    {
      title: t('alert.rules'),
      render: (_, x) => (
        <Space direction="vertical" size={0}>
          {x.rules.map((r, i) => (
            <span key={i}>{ruleText(r, t)}</span>
          ))}
        </Space>
      ),
    },
    {
      title: t('alert.channels'),
      render: (_, x) => (
        <Space wrap>
          {x.channels.map((c) => (
            <Tag key={c.id} title={c.url}>
              {t(`alert.channelTypes.${c.type}`)}
            </Tag>
          ))}
        </Space>
      ),
    },
    { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) },
    {
      title: t('common.actions'),
      render: (_, x) => (
        <Space size={0}>
          <Button type="link" size="small" data-testid="row-edit" onClick={() => setEditing(x)}>
            {t('common.edit')}
          </Button>
          <Button type="link" size="small" danger data-testid="row-delete" onClick={() => remove(x)}>
            {t('common.delete')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={4}>{t('menu.alertTemplates')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('alert.intro')}</Typography.Paragraph>
      <ListToolbar onCreate={() => setEditing('new')} createLabel={t('alert.create')} onSearch={list.search} onReload={list.reload} />
      <Table<Template> data-testid="alert-template-table" {...listTableProps(list, t)} columns={columns} locale={{ emptyText: t('alert.empty') }} />
      <TemplateDrawer
        template={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) void list.reload();
        }}
      />
    </>
  );
}

/** The template body as the form holds it (secretSet: a stored webhook secret the form does not show). */
type FormValues = Omit<Schemas['CreateAlertTemplateDto'], 'isDefault' | 'channels'> & {
  isDefault: boolean;
  channels: (Schemas['ChannelInputDto'] & { secretSet?: boolean })[];
};

function TemplateDrawer({ template, onClose }: { template: Template | 'new' | null; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const isNew = template === 'new';

  useEffect(() => {
    if (!template) return;
    form.resetFields();
    if (template === 'new')
      form.setFieldsValue({
        name: '',
        isDefault: false,
        rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
        channels: [{ type: 'console' }],
      });
    else
      form.setFieldsValue({
        name: template.name,
        description: template.description ?? '',
        isDefault: template.isDefault,
        rules: template.rules,
        channels: template.channels.map((c) => ({ id: c.id, type: c.type, url: c.url, secretSet: c.secretSet })),
      });
  }, [template, form]);

  const { busy, submit } = useSubmit(form, async (v) => {
    // type/id of a channel are not form items: read them from the whole store.
    const all = form.getFieldsValue(true) as FormValues;
    const channels = (all.channels ?? []).map((c) => ({
      ...(c.id ? { id: c.id } : {}),
      type: c.type,
      ...(c.type === 'webhook' ? { url: c.url, ...(c.secret ? { secret: c.secret } : {}) } : {}),
    }));
    const body = { name: v.name, description: v.description ?? '', isDefault: v.isDefault, rules: v.rules, channels };
    if (template === 'new') await call(api.POST('/api/v1/alert-templates', { body }));
    else if (template) await call(api.PATCH('/api/v1/alert-templates/{id}', { params: { path: { id: template.id } }, body }));
    void message.success(t('common.saved'));
    onClose(true);
  });

  return (
    <Drawer
      open={!!template}
      width={820}
      title={isNew ? t('alert.create') : t('alert.edit')}
      onClose={() => onClose(false)}
      forceRender
      extra={
        <Space>
          <Button onClick={() => onClose(false)}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={submit} data-testid="alert-template-submit">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Form form={form} layout="vertical" data-testid="alert-template-form">
        <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
          <Input data-testid="name-input" maxLength={64} autoFocus />
        </Form.Item>
        <Form.Item name="description" label={t('alert.description')} rules={[{ max: 256, message: t('validation.remarkRule') }]}>
          <Input.TextArea maxLength={256} rows={2} />
        </Form.Item>
        <Form.Item name="isDefault" label={t('alert.isDefault')} valuePropName="checked" extra={t('alert.isDefaultHint')}>
          <Switch />
        </Form.Item>
        <Card size="small" title={t('alert.rules')} style={{ marginBottom: 16 }}>
          <Form.List
            name="rules"
            rules={[
              {
                validator: async (_r, v: unknown[]) => {
                  if (!v || v.length < 1 || v.length > 20) throw new Error(t('alert.rulesCount'));
                },
              },
            ]}
          >
            {(fields, { add, remove }, { errors }) => (
              <>
                {fields.map((f) => (
                  <RuleRow key={f.key} name={f.name} onRemove={() => remove(f.name)} />
                ))}
                <Button
                  type="dashed"
                  icon={<PlusOutlined />}
                  onClick={() => add({ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 })}
                  block
                  data-testid="add-rule"
                >
                  {t('alert.addRule')}
                </Button>
                <Form.ErrorList errors={errors} />
              </>
            )}
          </Form.List>
        </Card>
        <Card size="small" title={t('alert.channels')}>
          <Form.List name="channels">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <ChannelRow key={f.key} name={f.name} onRemove={() => remove(f.name)} />
                ))}
                <Space>
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: 'webhook' })} data-testid="add-webhook">
                    {t('alert.addWebhook')}
                  </Button>
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: 'console' })}>
                    {t('alert.addConsole')}
                  </Button>
                </Space>
              </>
            )}
          </Form.List>
        </Card>
      </Form>
    </Drawer>
  );
}

function RuleRow({ name, onRemove }: { name: number; onRemove: () => void }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const metric = Form.useWatch(['rules', name, 'metric'], form) as Rule['metric'] | undefined;
  const max = metric ? BOUNDED[metric] : undefined;
  return (
    <Space align="start" wrap style={{ display: 'flex', marginBottom: 8 }}>
      <Form.Item name={[name, 'metric']} rules={[{ required: true, message: t('validation.required') }]} style={{ width: 250, marginBottom: 0 }}>
        <Select options={METRICS.map((m) => ({ value: m, label: t(`alert.metrics.${m}`) }))} />
      </Form.Item>
      <Form.Item name={[name, 'comparator']} rules={[{ required: true, message: t('validation.required') }]} style={{ width: 110, marginBottom: 0 }}>
        <Select options={COMPARATORS.map((c) => ({ value: c, label: t(`alert.comparators.${c}`) }))} />
      </Form.Item>
      <Form.Item
        name={[name, 'threshold']}
        rules={[
          { required: true, message: t('validation.required') },
          { type: 'number', min: 0, max, message: max !== undefined ? t('alert.thresholdRange', { max }) : t('alert.thresholdMin') },
        ]}
        style={{ width: 120, marginBottom: 0 }}
      >
        <InputNumber placeholder={t('alert.threshold')} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item
        name={[name, 'periods']}
        rules={[
          { required: true, message: t('validation.required') },
          { type: 'integer', min: 1, max: 60, message: t('alert.periodsRange') },
        ]}
        style={{ width: 150, marginBottom: 0 }}
      >
        <InputNumber min={1} max={60} precision={0} addonAfter={t('alert.periodsUnit')} style={{ width: '100%' }} />
      </Form.Item>
      <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('common.delete')} />
    </Space>
  );
}

function ChannelRow({ name, onRemove }: { name: number; onRemove: () => void }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const type = Form.useWatch(['channels', name, 'type'], { form, preserve: true }) as 'webhook' | 'console' | undefined;
  const id = Form.useWatch(['channels', name, 'id'], { form, preserve: true }) as string | undefined;
  const secretSet = Form.useWatch(['channels', name, 'secretSet'], { form, preserve: true }) as boolean | undefined;
  return (
    <Space align="start" wrap style={{ display: 'flex', marginBottom: 8 }}>
      <Tag color={type === 'webhook' ? 'purple' : 'blue'} style={{ marginTop: 5 }}>
        {type ? t(`alert.channelTypes.${type}`) : ''}
      </Tag>
      {type === 'webhook' && (
        <>
          <Form.Item
            name={[name, 'url']}
            rules={[
              { required: true, message: t('alert.urlRule') },
              { type: 'url', message: t('alert.urlRule') },
              { pattern: /^https?:\/\//i, message: t('alert.urlRule') },
            ]}
            style={{ width: 300, marginBottom: 0 }}
          >
            <Input placeholder="https://example.com/hook" />
          </Form.Item>
          <Form.Item
            name={[name, 'secret']}
            rules={[
              ...(id && secretSet ? [] : [{ required: true, message: t('alert.secretRule') }]),
              { min: 16, max: 256, message: t('alert.secretRule') },
              { pattern: /^[\x21-\x7e]*$/, message: t('alert.secretRule') },
            ]}
            style={{ width: 220, marginBottom: 0 }}
          >
            <Input.Password placeholder={id && secretSet ? t('alert.secretKeep') : t('alert.secret')} autoComplete="new-password" />
          </Form.Item>
        </>
      )}
      {type === 'console' && (
        <Typography.Text type="secondary" style={{ lineHeight: '32px' }}>
          {t('alert.consoleHint')}
        </Typography.Text>
      )}
      <Button type="text" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('common.delete')} />
    </Space>
  );
}
