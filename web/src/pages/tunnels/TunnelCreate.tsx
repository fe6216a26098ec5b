import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Select, Space, Steps, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, call, type Schemas } from '../../api/client';
import { reportError, validated } from '../../components/errors';
import { nameRules, remarkRules, remoteCidrProblems, splitLines } from '../../components/rules';
import { IKE_DEFAULTS, IkePolicyFields, ikeBody, IPSEC_DEFAULTS, IpsecPolicyFields, ipsecBody, type IkeForm, type IpsecForm } from './policyFields';
import { PskField } from './PskField';
import { OPTIONS_DEFAULTS, OptionsFields, optionsBody, type OptionsForm } from './optionsFields';

/** The create body as the form holds it: remote CIDRs one per line, policies as form fields. */
type Values = Omit<Schemas['CreateTunnelDto'], 'remoteCidrs' | 'ikePolicy' | 'ipsecPolicy' | 'initiatorMode' | 'dpd' | 'ikeFragmentation' | 'tcpMssClamp'> & {
  remoteCidrs: string;
  ikePolicy: IkeForm;
  ipsecPolicy: IpsecForm;
} & OptionsForm;

const STEP1: (keyof Values)[] = ['name', 'remark', 'gatewayId', 'peerId', 'localSubnetIds', 'remoteCidrs', 'psk'];

export default function TunnelCreate() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [gateways, setGateways] = useState<Schemas['GatewayDto'][]>([]);
  const [peers, setPeers] = useState<Schemas['PeerDto'][]>([]);
  const [subnets, setSubnets] = useState<Schemas['SubnetDto'][]>([]);
  const gatewayId = Form.useWatch('gatewayId', form);
  const peerId = Form.useWatch('peerId', form);
  const localIds = Form.useWatch('localSubnetIds', form);

  useEffect(() => {
    void call(api.GET('/api/v1/vpn-gateways', { params: { query: { limit: 1000 } } }))
      .then((p) => setGateways(p.items))
      .catch(() => undefined);
    void call(api.GET('/api/v1/peer-gateways', { params: { query: { limit: 1000 } } }))
      .then((p) => setPeers(p.items))
      .catch(() => undefined);
    const g = search.get('gatewayId');
    if (g) form.setFieldValue('gatewayId', g);
  }, [form, search]);

  const gateway = gateways.find((g) => g.id === gatewayId);
  const peer = peers.find((p) => p.id === peerId);
  useEffect(() => {
    setSubnets([]);
    if (!gateway) return;
    void call(api.GET('/api/v1/subnets', { params: { query: { vpcId: gateway.vpc.id, limit: 1000 } } }))
      .then((p) => setSubnets(p.items))
      .catch(() => undefined);
  }, [gateway]);

  const localCidrs = useMemo(() => subnets.filter((s) => (localIds ?? []).includes(s.id)).map((s) => s.cidr), [subnets, localIds]);

  const next = async () => {
    if (!(await validated(form, STEP1))) return;
    setStep(1);
  };

  const submit = async () => {
    if (!(await validated(form))) {
      if (form.getFieldsError(STEP1).some((f) => f.errors.length)) setStep(0);
      return;
    }
    const v = form.getFieldsValue(true) as Values;
    setBusy(true);
    try {
      const created = await call(
        api.POST('/api/v1/vpn-tunnels', {
          body: {
            name: v.name,
            remark: v.remark || undefined,
            gatewayId: v.gatewayId,
            peerId: v.peerId,
            localSubnetIds: v.localSubnetIds,
            remoteCidrs: splitLines(v.remoteCidrs),
            psk: v.psk,
            ikePolicy: ikeBody(v.ikePolicy),
            ipsecPolicy: ipsecBody(v.ipsecPolicy),
            ...optionsBody(v, peer?.ipAddress),
          },
        }),
      );
      void message.success(t('tunnel.created', { name: created.name }));
      navigate(`/vpn-tunnels/${created.id}`);
    } catch (e) {
      reportError(message, e, form, { remoteCidrs: ['remoteCidrs'], localSubnetIds: ['localSubnetIds'] });
      if (e instanceof ApiError && e.violations.some((x) => STEP1.some((f) => x.field.startsWith(f)))) setStep(0);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={4}>{t('tunnel.create')}</Typography.Title>
      <Steps current={step} style={{ maxWidth: 640, margin: '8px 0 24px' }} items={[{ title: t('tunnel.stepBasic') }, { title: t('tunnel.stepPolicies') }]} />
      <Form
        form={form}
        layout="vertical"
        style={{ maxWidth: 880 }}
        initialValues={{ ikePolicy: IKE_DEFAULTS, ipsecPolicy: IPSEC_DEFAULTS, localSubnetIds: [], ...OPTIONS_DEFAULTS }}
        data-testid="tunnel-form"
      >
        <div style={{ display: step === 0 ? 'block' : 'none' }}>
          <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
            <Input data-testid="name-input" maxLength={64} showCount />
          </Form.Item>
          <Form.Item name="remark" label={t('common.remark')} rules={remarkRules(t)}>
            <Input.TextArea data-testid="remark-input" maxLength={256} rows={2} />
          </Form.Item>
          <Form.Item name="gatewayId" label={t('tunnel.gateway')} rules={[{ required: true, message: t('validation.required') }]}>
            <Select
              data-testid="gateway-select"
              showSearch
              optionFilterProp="label"
              placeholder={t('common.select')}
              onChange={() => form.setFieldsValue({ localSubnetIds: [] })}
              options={gateways.map((g) => ({
                value: g.id,
                label: `${g.name} (${g.externalIp?.address ?? '-'}) · ${g.vpc.name}`,
                disabled: g.tunnelCount >= 20 || g.resourceState === 'deleting',
              }))}
            />
          </Form.Item>
          <Form.Item
            name="peerId"
            label={t('tunnel.peer')}
            rules={[{ required: true, message: t('validation.required') }]}
            extra={peer?.ipAddress === '0.0.0.0' ? t('peer.anyHint') : undefined}
          >
            <Select
              data-testid="peer-select"
              showSearch
              optionFilterProp="label"
              placeholder={t('common.select')}
              options={peers.map((p) => ({ value: p.id, label: `${p.name} (${p.ipAddress})`, disabled: p.tunnelCount >= 20 }))}
            />
          </Form.Item>
          <Form.Item
            name="localSubnetIds"
            label={t('tunnel.localSubnets')}
            extra={t('tunnel.localSubnetsHint')}
            rules={[
              { required: true, type: 'array', min: 1, message: t('validation.localCount') },
              { type: 'array', max: 20, message: t('validation.localCount') },
            ]}
          >
            <Select
              data-testid="local-subnets"
              mode="multiple"
              optionFilterProp="label"
              disabled={!gateway}
              placeholder={gateway ? t('common.select') : t('tunnel.pickGatewayFirst')}
              options={subnets.map((s) => ({ value: s.id, label: `${s.name} (${s.cidr})` }))}
            />
          </Form.Item>
          <Form.Item
            name="remoteCidrs"
            label={t('tunnel.remoteSubnets')}
            extra={t('tunnel.remoteSubnetsHint')}
            dependencies={['localSubnetIds', 'gatewayId']}
            rules={[
              { required: true, message: t('validation.remoteCount') },
              {
                validator: async (_r, v: string | undefined) => {
                  const problems = remoteCidrProblems(splitLines(v), localCidrs, gateway?.vpc.cidr, t);
                  if (problems.length) throw new Error(problems.join('; '));
                },
              },
            ]}
          >
            <Input.TextArea data-testid="remote-cidrs" rows={4} placeholder={'10.23.0.0/16\n10.25.0.0/16'} />
          </Form.Item>
          <PskField />
        </div>
        <div style={{ display: step === 1 ? 'block' : 'none' }}>
          <Alert type="info" showIcon message={t('tunnel.policiesHint')} style={{ marginBottom: 16 }} />
          <Card size="small" title={t('policy.ikeTitle')} style={{ marginBottom: 16 }}>
            <IkePolicyFields gatewayIp={gateway?.externalIp?.address} peerIp={peer?.ipAddress} />
          </Card>
          <Card size="small" title={t('policy.ipsecTitle')} style={{ marginBottom: 16 }}>
            <IpsecPolicyFields />
          </Card>
          <Card size="small" title={t('options.title')} style={{ marginBottom: 16 }}>
            <OptionsFields peerIp={peer?.ipAddress} />
          </Card>
        </div>
      </Form>
      <Space>
        <Button onClick={() => navigate('/vpn-tunnels')}>{t('common.cancel')}</Button>
        {step > 0 && (
          <Button data-testid="wizard-prev" onClick={() => setStep(0)}>
            {t('common.prev')}
          </Button>
        )}
        {step === 0 ? (
          <Button type="primary" data-testid="wizard-next" onClick={next}>
            {t('common.next')}
          </Button>
        ) : (
          <Button type="primary" data-testid="wizard-submit" loading={busy} onClick={submit}>
            {t('common.create')}
          </Button>
        )}
      </Space>
    </>
  );
}
