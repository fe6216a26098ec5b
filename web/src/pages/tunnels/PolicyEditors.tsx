// Edit dialogs of a tunnel's subnets, IKE policy (PSK included), IPsec policy and options. Saving
// any of them reconnects the tunnel (connecting -> connected): the dialogs say so before saving.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Form, Input, Modal, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { useSubmit } from '../../components/errors';
import { focusFirstOnOpen } from '../../components/focusFirst';
import { remoteCidrProblems, splitLines } from '../../components/rules';
import { IkePolicyFields, ikeBody, IpsecPolicyFields, ipsecBody, type IkeForm, type IpsecForm } from './policyFields';
import { OptionsFields, optionsBody, optionsForm, type OptionsForm } from './optionsFields';
import { MAX_ADDITIONAL_PROPOSALS } from '../../shared';
import { PskField } from './PskField';

type Tunnel = Schemas['TunnelDto'];
export type Editor = 'subnets' | 'ike' | 'ipsec' | 'options' | null;

export function PolicyEditors({
  tunnel,
  editor,
  gatewayVpc,
  onClose,
}: {
  tunnel: Tunnel;
  editor: Editor;
  gatewayVpc?: { id: string; cidr: string };
  onClose: (saved?: Tunnel) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const bodyRef = useRef<HTMLDivElement>(null);
  const [subnets, setSubnets] = useState<Schemas['SubnetDto'][]>([]);
  const localIds = Form.useWatch('localSubnetIds', form) as string[] | undefined;

  // Filled when a dialog opens, not on every refresh of the tunnel (the detail page polls): a
  // refresh while the user edits must not throw their unsaved choices away.
  useEffect(() => {
    if (!editor) return;
    form.resetFields();
    if (editor === 'subnets') form.setFieldsValue({ localSubnetIds: tunnel.localSubnets.map((s) => s.id), remoteCidrs: tunnel.remoteCidrs.join('\n') });
    if (editor === 'ike') form.setFieldsValue({ ikePolicy: { ...tunnel.ikePolicy, exchangeMode: tunnel.ikePolicy.exchangeMode ?? 'main' }, psk: undefined });
    if (editor === 'ipsec')
      form.setFieldsValue({ ipsecPolicy: { ...tunnel.ipsecPolicy, encryptionAlgorithm: tunnel.ipsecPolicy.encryptionAlgorithm ?? undefined } });
    if (editor === 'options') form.setFieldsValue(optionsForm(tunnel));
  }, [editor, tunnel.id, form]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (editor !== 'subnets' || !gatewayVpc) return;
    void call(api.GET('/api/v1/subnets', { params: { query: { vpcId: gatewayVpc.id, limit: 1000 } } }))
      .then((p) => setSubnets(p.items))
      .catch(() => undefined);
  }, [editor, gatewayVpc]);
  const localCidrs = useMemo(() => subnets.filter((s) => (localIds ?? []).includes(s.id)).map((s) => s.cidr), [subnets, localIds]);

  // The API names fields without the policy prefix on these endpoints (e.g. "dhGroup", "additionalProposals.1.dhGroup").
  const policyAlias = (prefix: string, fields: string[], proposalFields: string[]) =>
    Object.fromEntries([
      ...fields.map((k) => [k, [prefix, k]]),
      ...Array.from({ length: MAX_ADDITIONAL_PROPOSALS }, (_, i) =>
        proposalFields.map((k) => [`additionalProposals.${i}.${k}`, [prefix, 'additionalProposals', i, k]]),
      ).flat(),
    ]);
  const alias: Record<string, (string | number)[]> =
    editor === 'ike'
      ? policyAlias(
          'ikePolicy',
          ['version', 'authAlgorithm', 'encryptionAlgorithm', 'exchangeMode', 'dhGroup', 'localId', 'remoteId', 'lifetimeSeconds'],
          ['encryptionAlgorithm', 'authAlgorithm', 'dhGroup'],
        )
      : editor === 'ipsec'
        ? policyAlias(
            'ipsecPolicy',
            ['protocol', 'authAlgorithm', 'encryptionAlgorithm', 'pfsGroup', 'lifetimeSeconds'],
            ['encryptionAlgorithm', 'authAlgorithm', 'pfsGroup'],
          )
        : editor === 'options'
          ? {}
          : { remoteCidrs: ['remoteCidrs'], localSubnetIds: ['localSubnetIds'] };
  const { busy, submit: save } = useSubmit(
    form,
    async (v) => {
      const path = { params: { path: { id: tunnel.id } } };
      let saved: Tunnel;
      if (editor === 'subnets') {
        saved = await call(
          api.PUT('/api/v1/vpn-tunnels/{id}/subnets', {
            ...path,
            body: { localSubnetIds: v.localSubnetIds as string[], remoteCidrs: splitLines(v.remoteCidrs as string) },
          }),
        );
      } else if (editor === 'ike') {
        const body: Record<string, unknown> = { ...ikeBody(v.ikePolicy as IkeForm) };
        if (v.psk) body.psk = v.psk;
        saved = await call(api.PUT('/api/v1/vpn-tunnels/{id}/ike-policy', { ...path, body: body as Schemas['UpdateIkePolicyDto'] }));
      } else if (editor === 'ipsec') {
        saved = await call(api.PUT('/api/v1/vpn-tunnels/{id}/ipsec-policy', { ...path, body: ipsecBody(v.ipsecPolicy as IpsecForm) }));
      } else {
        saved = await call(api.PUT('/api/v1/vpn-tunnels/{id}/options', { ...path, body: optionsBody(v as OptionsForm, tunnel.peer.ip) }));
      }
      // An edit the remote negotiates (subnets, algorithms, PFS, key): it must load its new file too.
      if (saved.remoteMustUpdate) void message.warning(t('tunnel.remoteMustUpdate'), 8);
      // The MSS clamp alone is applied in the gateway in place: same configuration version, no reconnect.
      else if (saved.configVersion === tunnel.configVersion) void message.success(t('options.appliedInPlace'));
      else void message.success(t('tunnel.savedReconnecting'));
      onClose(saved);
    },
    alias,
  );

  const title =
    editor === 'subnets' ? t('tunnel.editSubnets') : editor === 'ike' ? t('tunnel.editIke') : editor === 'ipsec' ? t('tunnel.editIpsec') : t('options.edit');
  return (
    <Modal
      open={!!editor}
      title={title}
      width={760}
      onOk={save}
      onCancel={() => onClose()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'editor-save' }}
      forceRender
      afterOpenChange={focusFirstOnOpen(bodyRef)}
    >
      <Alert
        type="warning"
        showIcon
        message={editor === 'options' ? t('options.reconnectWarning') : t('tunnel.reconnectWarning')}
        style={{ marginBottom: 16 }}
        data-testid="reconnect-warning"
      />
      <div ref={bodyRef}>
        <Form form={form} layout="vertical">
          {editor === 'subnets' && (
            <>
              <Form.Item
                name="localSubnetIds"
                label={t('tunnel.localSubnets')}
                rules={[
                  { required: true, type: 'array', min: 1, message: t('validation.localCount') },
                  { type: 'array', max: 20, message: t('validation.localCount') },
                ]}
              >
                <Select
                  data-testid="local-subnets"
                  mode="multiple"
                  optionFilterProp="label"
                  options={subnets.map((s) => ({ value: s.id, label: `${s.name} (${s.cidr})` }))}
                />
              </Form.Item>
              <Form.Item
                name="remoteCidrs"
                label={t('tunnel.remoteSubnets')}
                extra={t('tunnel.remoteSubnetsHint')}
                dependencies={['localSubnetIds']}
                rules={[
                  { required: true, message: t('validation.remoteCount') },
                  {
                    validator: async (_r, v: string | undefined) => {
                      const problems = remoteCidrProblems(splitLines(v), localCidrs, gatewayVpc?.cidr, t);
                      if (problems.length) throw new Error(problems.join('; '));
                    },
                  },
                ]}
              >
                <Input.TextArea data-testid="remote-cidrs" rows={4} />
              </Form.Item>
            </>
          )}
          {editor === 'ike' && (
            <>
              <IkePolicyFields gatewayIp={tunnel.gateway.ip} peerIp={tunnel.peer.ip} />
              <PskField required={false} />
              <Alert type="info" showIcon message={t('tunnel.pskKeepHint')} />
            </>
          )}
          {editor === 'ipsec' && <IpsecPolicyFields ikeVersion={tunnel.ikePolicy.version} />}
          {editor === 'options' && <OptionsFields peerIp={tunnel.peer.ip} />}
        </Form>
      </div>
    </Modal>
  );
}
