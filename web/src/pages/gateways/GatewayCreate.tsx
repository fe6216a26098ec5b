import { useEffect, useMemo, useState } from 'react';
import { ShoppingCartOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Descriptions, Form, Input, InputNumber, Radio, Row, Select, Space, Steps, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { reportError, validated } from '../../components/errors';
import { fmtTime } from '../../components/format';
import { money } from '../../components/money';
import { nameRules, remarkRules } from '../../components/rules';
import { CHARGE_TYPES } from '../../components/state';
import { periodOptions } from './periods';

type Quote = Schemas['QuoteDto'];

/** The create body (the form always holds a period). */
type Values = Schemas['CreateGatewayDto'] & { period: number };

const STEP_FIELDS: (keyof Values)[][] = [
  ['machineTypeId', 'vpcId', 'subnetId', 'externalIpId'],
  ['name', 'remark', 'chargeType', 'period'],
];

export default function GatewayCreate() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [machineTypes, setMachineTypes] = useState<Schemas['MachineTypeDto'][]>([]);
  const [vpcs, setVpcs] = useState<Schemas['VpcDto'][]>([]);
  const [subnets, setSubnets] = useState<Schemas['SubnetDto'][]>([]);
  const [ips, setIps] = useState<Schemas['ExternalIpDto'][]>([]);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<string | null>(null);
  const vpcId = Form.useWatch('vpcId', form);
  const machineTypeId = Form.useWatch('machineTypeId', form);
  const chargeType = Form.useWatch('chargeType', form) ?? 'monthly';
  const period = Form.useWatch('period', form);
  const all = Form.useWatch([], form) as Partial<Values> | undefined;

  useEffect(() => {
    void call(api.GET('/api/v1/machine-types', { params: { query: { limit: 1000 } } }))
      .then((p) => {
        setMachineTypes(p.items);
        // A single machine type is the only choice: preselected.
        if (p.items.length === 1 && !form.getFieldValue('machineTypeId')) form.setFieldValue('machineTypeId', p.items[0].id);
      })
      .catch(() => undefined);
    void call(api.GET('/api/v1/vpcs', { params: { query: { limit: 1000 } } }))
      .then((p) => setVpcs(p.items))
      .catch(() => undefined);
  }, [form]);

  const vpc = vpcs.find((v) => v.id === vpcId);
  useEffect(() => {
    setSubnets([]);
    setIps([]);
    if (!vpc) return;
    void call(api.GET('/api/v1/subnets', { params: { query: { vpcId: vpc.id, limit: 1000 } } }))
      .then((p) => setSubnets(p.items))
      .catch(() => undefined);
    void call(api.GET('/api/v1/external-ips', { params: { query: { dataCenterId: vpc.dataCenterId, limit: 1000 } } }))
      .then((p) => setIps(p.items))
      .catch(() => undefined);
  }, [vpc]);

  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    if (!machineTypeId || !chargeType || !period) return;
    let live = true;
    call(api.POST('/api/v1/vpn-gateways/quote', { body: { machineTypeId, chargeType, period } }))
      .then((q) => live && setQuote(q))
      .catch((e: { message?: string }) => live && setQuoteError(e.message ?? ''));
    return () => {
      live = false;
    };
  }, [machineTypeId, chargeType, period]);

  // Ascending by address (numerically: .9 before .10), searchable by typing part of it.
  const freeIps = useMemo(() => {
    const key = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    return ips.filter((ip) => !ip.boundTo).sort((a, b) => key(a.address) - key(b.address));
  }, [ips]);

  const next = async () => {
    if (!(await validated(form, STEP_FIELDS[step]))) return;
    setStep(step + 1);
  };

  const submit = async () => {
    if (!(await validated(form))) {
      if (form.getFieldsError(STEP_FIELDS[0]).some((f) => f.errors.length)) setStep(0);
      return;
    }
    const v = form.getFieldsValue(true) as Values;
    setBusy(true);
    try {
      const g = await call(
        api.POST('/api/v1/vpn-gateways', {
          body: {
            name: v.name,
            remark: v.remark || undefined,
            machineTypeId: v.machineTypeId,
            vpcId: v.vpcId,
            subnetId: v.subnetId,
            externalIpId: v.externalIpId,
            chargeType: v.chargeType,
            period: v.period,
          },
        }),
      );
      void message.success(t('gateway.created', { name: g.name }));
      navigate(`/vpn-gateways/${g.id}`);
    } catch (e) {
      reportError(message, e, form);
      // Go back to the step that holds the first refused field.
      const fields = (e as { violations?: { field: string }[] }).violations?.map((x) => x.field) ?? [];
      if (fields.some((f) => STEP_FIELDS[0].includes(f as keyof Values))) setStep(0);
    } finally {
      setBusy(false);
    }
  };

  const mt = machineTypes.find((m) => m.id === all?.machineTypeId);
  const subnet = subnets.find((s) => s.id === all?.subnetId);
  const ip = ips.find((i) => i.id === all?.externalIpId);

  return (
    <>
      <Typography.Title level={4}>{t('gateway.create')}</Typography.Title>
      <Steps
        current={step}
        style={{ maxWidth: 640, margin: '8px 0 24px' }}
        items={[{ title: t('gateway.stepPlacement') }, { title: t('gateway.stepBilling') }]}
      />
      <Row gutter={24}>
        <Col xs={24} lg={15}>
          <Form form={form} layout="vertical" initialValues={{ chargeType: 'monthly', period: 1 }} data-testid="gateway-form">
            <div style={{ display: step === 0 ? 'block' : 'none' }}>
              <Form.Item name="machineTypeId" label={t('gateway.machineType')} rules={[{ required: true, message: t('validation.required') }]}>
                <Radio.Group
                  data-testid="machine-type"
                  optionType="button"
                  buttonStyle="solid"
                  options={machineTypes.map((m) => ({ value: m.id, label: `${m.name} (${m.architecture})` }))}
                />
              </Form.Item>
              {!machineTypes.length && <Alert type="info" showIcon message={t('gateway.noMachineTypes')} style={{ marginBottom: 16 }} />}
              <Form.Item name="vpcId" label={t('gateway.vpc')} rules={[{ required: true, message: t('validation.required') }]} extra={t('gateway.vpcHint')}>
                <Select
                  data-testid="vpc-select"
                  placeholder={t('common.select')}
                  options={vpcs.map((v) => ({ value: v.id, label: `${v.name} (${v.cidr})` }))}
                  onChange={() => form.setFieldsValue({ subnetId: undefined, externalIpId: undefined })}
                />
              </Form.Item>
              <Form.Item name="subnetId" label={t('gateway.subnet')} rules={[{ required: true, message: t('validation.required') }]}>
                <Select
                  data-testid="subnet-select"
                  placeholder={t('common.select')}
                  disabled={!vpc}
                  options={subnets.map((s) => ({ value: s.id, label: `${s.name} (${s.cidr})` }))}
                />
              </Form.Item>
              <Form.Item
                name="externalIpId"
                label={t('gateway.externalIp')}
                rules={[{ required: true, message: t('validation.required') }]}
                extra={t('gateway.externalIpHint')}
              >
                <Select
                  data-testid="external-ip-select"
                  showSearch
                  optionFilterProp="label"
                  placeholder={t('common.select')}
                  disabled={!vpc}
                  notFoundContent={t('gateway.noFreeIp')}
                  options={freeIps.map((i) => ({ value: i.id, label: `${i.address}/${i.prefixLength}` }))}
                />
              </Form.Item>
            </div>
            <div style={{ display: step === 1 ? 'block' : 'none' }}>
              <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                <Input data-testid="name-input" maxLength={64} showCount />
              </Form.Item>
              <Form.Item name="remark" label={t('common.remark')} rules={remarkRules(t)}>
                <Input.TextArea data-testid="remark-input" maxLength={256} showCount rows={2} />
              </Form.Item>
              <Form.Item name="chargeType" label={t('gateway.chargeType')} rules={[{ required: true, message: t('validation.required') }]}>
                <Radio.Group
                  data-testid="charge-type"
                  optionType="button"
                  buttonStyle="solid"
                  options={CHARGE_TYPES.map((c) => ({ value: c, label: t(`charge.${c}`) }))}
                  onChange={() => form.setFieldsValue({ period: 1 })}
                />
              </Form.Item>
              <Form.Item name="period" label={t('gateway.period')} rules={[{ required: true, message: t('validation.required') }]}>
                <Select data-testid="period-select" options={periodOptions(chargeType, t)} style={{ width: 200 }} />
              </Form.Item>
              <Form.Item label={t('gateway.quantity')} extra={t('gateway.quantityHint')}>
                <InputNumber data-testid="quantity" value={1} disabled />
              </Form.Item>
            </div>
          </Form>
          <Space>
            <Button onClick={() => navigate('/vpn-gateways')}>{t('common.cancel')}</Button>
            {step > 0 && (
              <Button data-testid="wizard-prev" onClick={() => setStep(step - 1)}>
                {t('common.prev')}
              </Button>
            )}
            {step === 0 ? (
              <Button type="primary" data-testid="wizard-next" onClick={next}>
                {t('common.next')}
              </Button>
            ) : (
              <Button type="primary" icon={<ShoppingCartOutlined />} data-testid="wizard-submit" loading={busy} onClick={submit}>
                {t('gateway.buyNow')}
              </Button>
            )}
          </Space>
        </Col>
        <Col xs={24} lg={9}>
          <Card title={t('gateway.summary')} size="small" data-testid="order-summary">
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('gateway.machineType')}>{mt ? mt.name : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.vpc')}>{vpc ? `${vpc.name} (${vpc.cidr})` : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.subnet')}>{subnet ? `${subnet.name} (${subnet.cidr})` : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.externalIp')}>{ip ? ip.address : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.chargeType')}>{t(`charge.${chargeType}`)}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.period')}>{period ? t(`period.${chargeType}`, { count: period }) : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.quantity')}>1</Descriptions.Item>
              <Descriptions.Item label={t('gateway.unitPrice')}>{quote ? money(quote.unitPrice, quote.currency) : '-'}</Descriptions.Item>
              <Descriptions.Item label={t('gateway.expiresAt')}>{quote ? fmtTime(quote.expiresAt) : '-'}</Descriptions.Item>
            </Descriptions>
            <div style={{ borderTop: '1px solid #f0f0f0', paddingTop: 12, display: 'flex', justifyContent: 'space-between', alignItems: 'baseline' }}>
              <Typography.Text>{t('gateway.total')}</Typography.Text>
              <Typography.Text strong style={{ fontSize: 22, color: '#d4380d' }} data-testid="quote-total">
                {quote ? money(quote.amount, quote.currency) : '-'}
              </Typography.Text>
            </div>
            {quote && quote.balance !== null && (
              <Typography.Paragraph
                type={quote.affordable === false ? 'danger' : 'secondary'}
                style={{ marginTop: 8, marginBottom: 0 }}
                data-testid="quote-balance"
              >
                {quote.affordable === false
                  ? t('gateway.insufficient', { balance: money(quote.balance, quote.currency) })
                  : t('gateway.balance', { balance: money(quote.balance, quote.currency) })}
              </Typography.Paragraph>
            )}
            {quoteError && <Alert type="warning" showIcon message={quoteError} style={{ marginTop: 8 }} data-testid="quote-error" />}
          </Card>
        </Col>
      </Row>
    </>
  );
}
