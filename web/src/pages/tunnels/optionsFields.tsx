// Tunnel options (issue 16): whether the platform initiates. A 0.0.0.0 peer cannot be initiated
// towards, so it is always response-only (the API refuses bidirectional for it).
import { useEffect } from 'react';
import { Form, Radio } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { ANY_PEER, INITIATOR_MODES, type InitiatorMode } from '../../shared';

type Tunnel = Schemas['TunnelDto'];

export interface OptionsForm {
  initiatorMode: InitiatorMode;
}

/** The create form's; a 0.0.0.0 peer's tunnel is response-only whatever it says (optionsBody). */
export const OPTIONS_DEFAULTS: OptionsForm = { initiatorMode: 'bidirectional' };

export function optionsForm(t: Tunnel): OptionsForm {
  return { initiatorMode: t.initiatorMode };
}

/** What PUT .../options and the create body take: a 0.0.0.0 peer is always response-only. */
export function optionsBody(v: OptionsForm, peerIp?: string): Schemas['UpdateTunnelOptionsDto'] {
  return { initiatorMode: peerIp === ANY_PEER ? 'response-only' : v.initiatorMode };
}

export function OptionsFields({ peerIp }: { peerIp?: string }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const mode = Form.useWatch('initiatorMode', form) as InitiatorMode | undefined;
  const anyPeer = peerIp === ANY_PEER;
  useEffect(() => {
    if (anyPeer) form.setFieldValue('initiatorMode', 'response-only');
  }, [anyPeer, form]);
  return (
    <div data-testid="options-fields">
      <Form.Item
        name="initiatorMode"
        label={t('options.initiatorMode')}
        tooltip={t('options.help.initiatorMode')}
        extra={anyPeer ? t('options.anyPeerResponseOnly') : t(`options.modeHint.${mode ?? 'bidirectional'}`)}
        rules={[{ required: true }]}
      >
        <Radio.Group data-testid="initiator-mode-input" disabled={anyPeer} options={INITIATOR_MODES.map((m) => ({ value: m, label: t(`options.mode.${m}`) }))} />
      </Form.Item>
    </div>
  );
}
