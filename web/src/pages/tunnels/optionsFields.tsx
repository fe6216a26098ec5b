// Tunnel options (issue 16): whether the platform initiates, dead peer detection, IKE fragmentation
// and the TCP MSS clamp. Ranges, actions and defaults are the server's (../../shared.ts). A 0.0.0.0
// peer cannot be initiated towards, so it is always response-only (the API refuses bidirectional).
import { useEffect } from 'react';
import { Col, Form, InputNumber, Radio, Row, Select, Switch } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import {
  ANY_PEER,
  DEFAULT_TUNNEL_OPTIONS,
  DPD_ACTIONS,
  DPD_DELAY_RANGE,
  DPD_TIMEOUT_RANGE,
  INITIATOR_MODES,
  TCP_MSS_RANGE,
  type DpdAction,
  type InitiatorMode,
} from '../../shared';

type Tunnel = Schemas['TunnelDto'];

export interface OptionsForm {
  initiatorMode: InitiatorMode;
  dpd: { delaySeconds: number; timeoutSeconds: number; action: DpdAction };
  ikeFragmentation: boolean;
  /** Empty (null): no clamp. */
  tcpMssClamp: number | null;
}

/** The create form's; a 0.0.0.0 peer's tunnel is response-only whatever it says (optionsBody). */
export const OPTIONS_DEFAULTS: OptionsForm = { initiatorMode: 'bidirectional', ...DEFAULT_TUNNEL_OPTIONS, dpd: { ...DEFAULT_TUNNEL_OPTIONS.dpd } };

export function optionsForm(t: Tunnel): OptionsForm {
  return { initiatorMode: t.initiatorMode, dpd: { ...t.dpd }, ikeFragmentation: t.ikeFragmentation, tcpMssClamp: t.tcpMssClamp };
}

/** What PUT .../options and the create body take (every option, so the form is what is stored); a 0.0.0.0 peer is always response-only. */
export function optionsBody(v: OptionsForm, peerIp?: string): Schemas['UpdateTunnelOptionsDto'] {
  return {
    initiatorMode: peerIp === ANY_PEER ? 'response-only' : v.initiatorMode,
    dpd: { delaySeconds: v.dpd.delaySeconds, timeoutSeconds: v.dpd.timeoutSeconds, action: v.dpd.action },
    ikeFragmentation: v.ikeFragmentation,
    tcpMssClamp: v.tcpMssClamp ?? null,
  };
}

const seconds = (t: (k: string) => string) => ({ precision: 0, style: { width: '100%' }, addonAfter: t('policy.seconds') });

export function OptionsFields({ peerIp }: { peerIp?: string }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const mode = Form.useWatch('initiatorMode', form) as InitiatorMode | undefined;
  const anyPeer = peerIp === ANY_PEER;
  useEffect(() => {
    if (anyPeer) form.setFieldValue('initiatorMode', 'response-only');
  }, [anyPeer, form]);
  const range = (r: { min: number; max: number }) => ({
    type: 'integer' as const,
    min: r.min,
    max: r.max,
    message: t('validation.integerRange', { min: r.min, max: r.max }),
  });
  return (
    <Row gutter={16} data-testid="options-fields">
      <Col span={24}>
        <Form.Item
          name="initiatorMode"
          label={t('options.initiatorMode')}
          tooltip={t('options.help.initiatorMode')}
          extra={anyPeer ? t('options.anyPeerResponseOnly') : t(`options.modeHint.${mode ?? 'bidirectional'}`)}
          rules={[{ required: true }]}
        >
          <Radio.Group
            data-testid="initiator-mode-input"
            disabled={anyPeer}
            options={INITIATOR_MODES.map((m) => ({ value: m, label: t(`options.mode.${m}`) }))}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={8}>
        <Form.Item
          name={['dpd', 'delaySeconds']}
          label={t('options.dpdDelay')}
          tooltip={t('options.help.dpdDelay')}
          rules={[{ required: true, message: t('validation.required') }, range(DPD_DELAY_RANGE)]}
        >
          <InputNumber data-testid="dpd-delay" {...seconds(t)} />
        </Form.Item>
      </Col>
      <Col xs={24} md={8}>
        <Form.Item
          name={['dpd', 'timeoutSeconds']}
          label={t('options.dpdTimeout')}
          tooltip={t('options.help.dpdTimeout')}
          dependencies={[['dpd', 'delaySeconds']]}
          rules={[
            { required: true, message: t('validation.required') },
            range(DPD_TIMEOUT_RANGE),
            ({ getFieldValue }) => ({
              validator: async (_r, v: number | null | undefined) => {
                const delay = getFieldValue(['dpd', 'delaySeconds']) as number | null | undefined;
                if (typeof v === 'number' && typeof delay === 'number' && v <= delay) throw new Error(t('options.timeoutAfterDelay'));
              },
            }),
          ]}
        >
          <InputNumber data-testid="dpd-timeout" {...seconds(t)} />
        </Form.Item>
      </Col>
      <Col xs={24} md={8}>
        <Form.Item name={['dpd', 'action']} label={t('options.dpdAction')} tooltip={t('options.help.dpdAction')} rules={[{ required: true }]}>
          <Select data-testid="dpd-action" options={DPD_ACTIONS.map((a) => ({ value: a, label: t(`options.dpdActions.${a}`) }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name="ikeFragmentation" label={t('options.ikeFragmentation')} tooltip={t('options.help.ikeFragmentation')} valuePropName="checked">
          <Switch data-testid="ike-fragmentation" />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name="tcpMssClamp"
          label={t('options.tcpMssClamp')}
          tooltip={t('options.help.tcpMssClamp')}
          extra={t('options.mssHint', { min: TCP_MSS_RANGE.min, max: TCP_MSS_RANGE.max })}
          rules={[range(TCP_MSS_RANGE)]}
        >
          <InputNumber data-testid="tcp-mss-clamp" precision={0} style={{ width: '100%' }} placeholder={t('options.off')} addonAfter={t('options.bytes')} />
        </Form.Item>
      </Col>
    </Row>
  );
}

/** The options for the detail page, one line each. */
export function optionsText(x: Tunnel, t: (k: string, o?: Record<string, unknown>) => string) {
  return {
    dpd: t('options.dpdSummary', { delay: x.dpd.delaySeconds, timeout: x.dpd.timeoutSeconds, action: t(`options.dpdActions.${x.dpd.action}`) }),
    ikeFragmentation: x.ikeFragmentation ? t('options.on') : t('options.off'),
    tcpMssClamp: x.tcpMssClamp === null ? t('options.off') : `${x.tcpMssClamp} ${t('options.bytes')}`,
  };
}
