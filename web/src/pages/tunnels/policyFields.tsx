// IKE (phase 1) and IPsec (phase 2) policy fields. The tables, defaults, limits, weak set and the
// recommended preset are the server's own (../../shared.ts): mode only for IKEv1, no encryption
// with AH, no ESP integrity with AES-GCM, at most MAX_ADDITIONAL_PROPOSALS proposals after the first.
import { useEffect, type ReactNode } from 'react';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Col, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import {
  DH_GROUPS,
  DH_KEYWORD,
  ENCRYPTION_ALGORITHMS,
  IKE_AUTH_ALGORITHMS,
  IKE_DEFAULTS as POLICY_IKE_DEFAULTS,
  IKE_EXCHANGE_MODES,
  IKE_VERSIONS,
  IPSEC_AUTH_ALGORITHMS,
  IPSEC_DEFAULTS as POLICY_IPSEC_DEFAULTS,
  IPSEC_PROTOCOLS,
  isAead,
  isFqdn,
  isIpv4,
  LIFETIME_MAX_SECONDS,
  LIFETIME_MIN_SECONDS,
  MAX_ADDITIONAL_PROPOSALS,
  PFS_GROUPS,
  RECOMMENDED,
  WEAK_CIPHER,
  WEAK_GROUP,
  WEAK_HASH,
  type DhGroup,
  type EncryptionAlgorithm,
  type IkeAuthAlgorithm,
} from '../../shared';

type Ike = Schemas['IkePolicyViewDto'];
type Ipsec = Schemas['IpsecPolicyViewDto'];
type T = (k: string, o?: Record<string, unknown>) => string;

/** The weak values among a proposal's fields, for the console's warning ('sha1', 'DH 2'). */
export function weakLabels(fields: { auth?: string | null; encryption?: string | null; group?: number | string | null }): string[] {
  const out: string[] = [];
  if (fields.auth && WEAK_HASH[fields.auth as IkeAuthAlgorithm]) out.push(fields.auth);
  if (fields.encryption && WEAK_CIPHER[fields.encryption as EncryptionAlgorithm]) out.push(fields.encryption);
  if (typeof fields.group === 'number' && WEAK_GROUP[fields.group as DhGroup]) out.push(`DH ${fields.group}`);
  return out;
}

/** Every weak value of a phase (first proposal and the additional ones), each named once. */
function weakOfPhase(proposals: { auth?: string | null; encryption?: string | null; group?: number | string | null }[]): string[] {
  return [...new Set(proposals.flatMap(weakLabels))];
}

const groupLabel = (g: number) => `${g} (${DH_KEYWORD[g as DhGroup]})`;

function WeakWarning({ labels, onRecommended, testId }: { labels: string[]; onRecommended: () => void; testId: string }) {
  const { t } = useTranslation();
  return (
    <Col span={24}>
      {labels.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid={`${testId}-weak`}
          message={t('policy.weakWarning', { list: labels.join(', ') })}
        />
      )}
      <Button size="small" style={{ marginBottom: 12 }} data-testid={`${testId}-recommended`} onClick={onRecommended}>
        {t('policy.useRecommended')}
      </Button>
    </Col>
  );
}

export interface IkeProposalForm {
  encryptionAlgorithm?: Ike['encryptionAlgorithm'];
  authAlgorithm?: Ike['authAlgorithm'];
  dhGroup?: Ike['dhGroup'];
}

export interface IpsecProposalForm {
  encryptionAlgorithm?: Ipsec['encryptionAlgorithm'];
  authAlgorithm?: Ipsec['authAlgorithm'];
  pfsGroup?: Ipsec['pfsGroup'];
}

export interface IkeForm {
  version: Ike['version'];
  authAlgorithm: Ike['authAlgorithm'];
  encryptionAlgorithm: Ike['encryptionAlgorithm'];
  exchangeMode: Ike['exchangeMode'];
  dhGroup: Ike['dhGroup'];
  localId?: string;
  remoteId?: string;
  lifetimeSeconds: number;
  additionalProposals?: IkeProposalForm[];
}

export interface IpsecForm {
  protocol: Ipsec['protocol'];
  authAlgorithm?: Ipsec['authAlgorithm'];
  encryptionAlgorithm?: Ipsec['encryptionAlgorithm'];
  pfsGroup: Ipsec['pfsGroup'];
  lifetimeSeconds: number;
  additionalProposals?: IpsecProposalForm[];
}

export const IKE_DEFAULTS: IkeForm = { ...POLICY_IKE_DEFAULTS, additionalProposals: [] };
export const IPSEC_DEFAULTS: IpsecForm = { ...POLICY_IPSEC_DEFAULTS, additionalProposals: [] };

/** The body the API expects: no exchangeMode for IKEv2, empty ids left out (the API defaults them), the proposal list always (empty: none). */
export function ikeBody(v: IkeForm): Schemas['IkePolicyDto'] {
  const body: Record<string, unknown> = {
    version: v.version,
    authAlgorithm: v.authAlgorithm,
    encryptionAlgorithm: v.encryptionAlgorithm,
    dhGroup: v.dhGroup,
    lifetimeSeconds: v.lifetimeSeconds,
    additionalProposals: (v.additionalProposals ?? []).map((p) => ({
      encryptionAlgorithm: p.encryptionAlgorithm,
      authAlgorithm: p.authAlgorithm,
      dhGroup: p.dhGroup,
    })),
  };
  if (v.version === 'v1') body.exchangeMode = v.exchangeMode ?? 'main';
  if (v.localId?.trim()) body.localId = v.localId.trim();
  if (v.remoteId?.trim()) body.remoteId = v.remoteId.trim();
  return body as Schemas['IkePolicyDto'];
}

/** One IPsec proposal as the API takes it: no encryption with AH, no integrity with ESP AES-GCM. */
function ipsecProposalBody(protocol: IpsecForm['protocol'], p: IpsecProposalForm, defaults = false): Record<string, unknown> {
  const out: Record<string, unknown> = { pfsGroup: p.pfsGroup };
  const encryption = protocol === 'esp' ? (p.encryptionAlgorithm ?? (defaults ? POLICY_IPSEC_DEFAULTS.encryptionAlgorithm : undefined)) : undefined;
  if (protocol === 'esp') out.encryptionAlgorithm = encryption;
  if (protocol === 'ah' || !isAead(encryption)) out.authAlgorithm = p.authAlgorithm ?? (defaults ? POLICY_IPSEC_DEFAULTS.authAlgorithm : undefined);
  return out;
}

export function ipsecBody(v: IpsecForm): Schemas['IpsecPolicyDto'] {
  return {
    protocol: v.protocol,
    ...ipsecProposalBody(v.protocol, v, true),
    lifetimeSeconds: v.lifetimeSeconds,
    additionalProposals: (v.additionalProposals ?? []).map((p) => ipsecProposalBody(v.protocol, p)),
  } as Schemas['IpsecPolicyDto'];
}

const lifetimeRules = (t: T) => [
  { required: true, message: t('validation.required') },
  {
    type: 'integer' as const,
    min: LIFETIME_MIN_SECONDS,
    max: LIFETIME_MAX_SECONDS,
    message: t('validation.lifetime', { min: LIFETIME_MIN_SECONDS, max: LIFETIME_MAX_SECONDS }),
  },
];

/** A proposal that repeats the first or an earlier one: the API refuses it (duplicate_proposal), say so on the row. */
function duplicateRule(t: T, prefix: string, index: number, key: (p: Record<string, unknown> | undefined) => string) {
  return ({ getFieldValue }: { getFieldValue: (n: (string | number)[]) => unknown }) => ({
    validator: async () => {
      const first = getFieldValue([prefix]) as Record<string, unknown> | undefined;
      const list = (getFieldValue([prefix, 'additionalProposals']) as Record<string, unknown>[] | undefined) ?? [];
      const mine = key(list[index]);
      if ([first, ...list.slice(0, index)].some((p) => key(p) === mine)) throw new Error(t('policy.duplicateProposal'));
    },
  });
}

export function IkePolicyFields({ prefix = 'ikePolicy', gatewayIp, peerIp }: { prefix?: string; gatewayIp?: string; peerIp?: string }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const version = Form.useWatch([prefix, 'version'], form) as IkeForm['version'] | undefined;
  const mode = Form.useWatch([prefix, 'exchangeMode'], form) as IkeForm['exchangeMode'] | undefined;
  const auth = Form.useWatch([prefix, 'authAlgorithm'], form) as string | undefined;
  const encryption = Form.useWatch([prefix, 'encryptionAlgorithm'], form) as string | undefined;
  const group = Form.useWatch([prefix, 'dhGroup'], form) as number | undefined;
  const extra = (Form.useWatch([prefix, 'additionalProposals'], form) as IkeProposalForm[] | undefined) ?? [];
  const anyPeer = peerIp === '0.0.0.0';
  // IKEv1 aggressive mode negotiates exactly one proposal (the API refuses more).
  const oneProposal = version === 'v1' && mode === 'aggressive';
  useEffect(() => {
    if (oneProposal && (form.getFieldValue([prefix, 'additionalProposals']) as unknown[] | undefined)?.length)
      form.setFieldValue([prefix, 'additionalProposals'], []);
  }, [oneProposal, form, prefix]);
  const idRule = (required: boolean) => [
    ...(required ? [{ required: true, message: t('tunnel.remoteIdRequiredShort') }] : []),
    {
      validator: async (_r: unknown, v: string | undefined) => {
        if (!v || !v.trim()) return;
        if (!isIpv4(v.trim()) && !isFqdn(v.trim())) throw new Error(t('validation.ipOrFqdn'));
        if (required && v.trim() === '0.0.0.0') throw new Error(t('tunnel.remoteIdRequiredShort'));
      },
    },
  ];
  const encryptionOptions = ENCRYPTION_ALGORITHMS.map((v) => ({ value: v, label: v, disabled: version === 'v1' && isAead(v) }));
  const ikeKey = (p: Record<string, unknown> | undefined) => JSON.stringify([p?.encryptionAlgorithm, p?.authAlgorithm, p?.dhGroup]);
  return (
    <Row gutter={16} data-testid="ike-fields">
      <WeakWarning
        testId="ike"
        labels={weakOfPhase([
          { auth, encryption, group },
          ...extra.map((p) => ({ auth: p?.authAlgorithm, encryption: p?.encryptionAlgorithm, group: p?.dhGroup })),
        ])}
        onRecommended={() => {
          for (const [k, v] of Object.entries(RECOMMENDED[version ?? 'v2'].ike)) form.setFieldValue([prefix, k], v);
        }}
      />
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'version']} label={t('policy.ikeVersion')} tooltip={t('policy.help.version')} rules={[{ required: true }]}>
          <Select data-testid="ike-version" options={IKE_VERSIONS.map((v) => ({ value: v, label: v === 'v1' ? 'IKEv1' : 'IKEv2' }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        {version === 'v1' && (
          <Form.Item
            name={[prefix, 'exchangeMode']}
            label={t('policy.exchangeMode')}
            tooltip={t('policy.help.exchangeMode')}
            rules={[{ required: true }]}
            extra={t('policy.modeHint')}
          >
            <Select data-testid="ike-mode" options={IKE_EXCHANGE_MODES.map((m) => ({ value: m, label: t(`policy.mode.${m}`) }))} />
          </Form.Item>
        )}
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'authAlgorithm']} label={t('policy.auth')} tooltip={t('policy.help.ikeAuth')} rules={[{ required: true }]}>
          <Select data-testid="ike-auth" options={IKE_AUTH_ALGORITHMS.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'encryptionAlgorithm']} label={t('policy.encryption')} tooltip={t('policy.help.ikeEncryption')} rules={[{ required: true }]}>
          <Select data-testid="ike-encryption" options={encryptionOptions} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'dhGroup']} label={t('policy.dhGroup')} tooltip={t('policy.help.dhGroup')} rules={[{ required: true }]}>
          <Select data-testid="ike-dh" options={DH_GROUPS.map((v) => ({ value: v, label: groupLabel(v) }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'lifetimeSeconds']}
          label={t('policy.lifetime')}
          tooltip={t('policy.help.ikeLifetime')}
          rules={lifetimeRules(t)}
          extra={t('policy.lifetimeHint', { min: LIFETIME_MIN_SECONDS, max: LIFETIME_MAX_SECONDS })}
        >
          <InputNumber data-testid="ike-lifetime" precision={0} style={{ width: '100%' }} addonAfter={t('policy.seconds')} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'localId']}
          label={t('policy.localId')}
          tooltip={t('policy.help.localId')}
          rules={idRule(false)}
          extra={t('policy.localIdHint', { ip: gatewayIp ?? '-' })}
        >
          <Input data-testid="ike-local-id" placeholder={gatewayIp} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'remoteId']}
          label={t('policy.remoteId')}
          tooltip={t('policy.help.remoteId')}
          rules={idRule(anyPeer)}
          extra={anyPeer ? t('tunnel.remoteIdRequired') : t('policy.remoteIdHint', { ip: peerIp ?? '-' })}
        >
          <Input data-testid="ike-remote-id" placeholder={anyPeer ? '' : peerIp} />
        </Form.Item>
      </Col>
      <Col span={24}>
        <ProposalList
          prefix={prefix}
          testId="ike"
          disabledHint={oneProposal ? t('policy.oneProposalAggressive') : undefined}
          seed={(f) => ({ encryptionAlgorithm: f.encryptionAlgorithm, authAlgorithm: f.authAlgorithm, dhGroup: f.dhGroup })}
        >
          {(name, index) => (
            <>
              <Col xs={24} md={8}>
                <Form.Item name={[name, 'encryptionAlgorithm']} label={t('policy.encryption')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Select data-testid={`ike-extra-${index}-encryption`} options={encryptionOptions} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name={[name, 'authAlgorithm']} label={t('policy.auth')} rules={[{ required: true, message: t('validation.required') }]}>
                  <Select data-testid={`ike-extra-${index}-auth`} options={IKE_AUTH_ALGORITHMS.map((v) => ({ value: v, label: v }))} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item
                  name={[name, 'dhGroup']}
                  label={t('policy.dhGroup')}
                  dependencies={[
                    [prefix, 'encryptionAlgorithm'],
                    [prefix, 'authAlgorithm'],
                    [prefix, 'dhGroup'],
                    [prefix, 'additionalProposals'],
                  ]}
                  rules={[{ required: true, message: t('validation.required') }, duplicateRule(t, prefix, index, ikeKey)]}
                >
                  <Select data-testid={`ike-extra-${index}-dh`} options={DH_GROUPS.map((v) => ({ value: v, label: groupLabel(v) }))} />
                </Form.Item>
              </Col>
            </>
          )}
        </ProposalList>
      </Col>
    </Row>
  );
}

/**
 * The ordered list of proposals after the first: numbered rows (2, 3, ...), each removable, at most
 * MAX_ADDITIONAL_PROPOSALS. A new row starts from the first proposal's values, to be changed.
 */
function ProposalList({
  prefix,
  testId,
  disabledHint,
  seed,
  children,
}: {
  prefix: string;
  testId: string;
  disabledHint?: string;
  /** The new row's values, from the first proposal's. */
  seed: (first: Record<string, unknown>) => Record<string, unknown>;
  children: (name: number, index: number) => ReactNode;
}) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  return (
    <Form.List name={[prefix, 'additionalProposals']}>
      {(fields, { add, remove }) => (
        <div data-testid={`${testId}-proposals`}>
          <Typography.Text strong>{t('policy.additionalProposals')}</Typography.Text>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
            {disabledHint ?? t('policy.help.additionalProposals', { max: MAX_ADDITIONAL_PROPOSALS })}
          </Typography.Paragraph>
          {fields.map((f, index) => (
            <Row gutter={16} key={f.key} align="bottom" data-testid={`${testId}-proposal`}>
              <Col span={24}>
                <Typography.Text type="secondary">{t('policy.proposalN', { n: index + 2 })}</Typography.Text>
                <Button
                  type="link"
                  size="small"
                  danger
                  icon={<DeleteOutlined />}
                  data-testid={`${testId}-extra-${index}-remove`}
                  aria-label={t('policy.removeProposal', { n: index + 2 })}
                  onClick={() => remove(f.name)}
                />
              </Col>
              {children(f.name, index)}
            </Row>
          ))}
          <Button
            size="small"
            icon={<PlusOutlined />}
            data-testid={`${testId}-add-proposal`}
            disabled={!!disabledHint || fields.length >= MAX_ADDITIONAL_PROPOSALS}
            onClick={() => {
              add(seed((form.getFieldValue([prefix]) ?? {}) as Record<string, unknown>));
            }}
          >
            {t('policy.addProposal')}
          </Button>
        </div>
      )}
    </Form.List>
  );
}

/** ikeVersion picks the recommended preset; left out, the form's own ikePolicy.version (create form). */
export function IpsecPolicyFields({ prefix = 'ipsecPolicy', ikeVersion }: { prefix?: string; ikeVersion?: 'v1' | 'v2' }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const formIkeVersion = Form.useWatch(['ikePolicy', 'version'], form) as 'v1' | 'v2' | undefined;
  const auth = Form.useWatch([prefix, 'authAlgorithm'], form) as string | undefined;
  const pfs = Form.useWatch([prefix, 'pfsGroup'], form) as number | string | undefined;
  const protocol = Form.useWatch([prefix, 'protocol'], form) as IpsecForm['protocol'] | undefined;
  const encryption = Form.useWatch([prefix, 'encryptionAlgorithm'], form) as string | undefined;
  const extra = (Form.useWatch([prefix, 'additionalProposals'], form) as IpsecProposalForm[] | undefined) ?? [];
  const ah = protocol === 'ah';
  const gcm = !ah && isAead(encryption as EncryptionAlgorithm | undefined);
  // AH has no encryption: clear the field; back to ESP, preselect the default again.
  useEffect(() => {
    const current = form.getFieldValue([prefix, 'encryptionAlgorithm']) as string | undefined;
    if (ah && current) form.setFieldValue([prefix, 'encryptionAlgorithm'], undefined);
    if (protocol === 'esp' && !current) form.setFieldValue([prefix, 'encryptionAlgorithm'], POLICY_IPSEC_DEFAULTS.encryptionAlgorithm);
    // Leaving AES-GCM (stored without integrity): preselect the default integrity again.
    if (protocol && !gcm && !form.getFieldValue([prefix, 'authAlgorithm'])) form.setFieldValue([prefix, 'authAlgorithm'], POLICY_IPSEC_DEFAULTS.authAlgorithm);
  }, [ah, gcm, protocol, form, prefix]);
  const ipsecKey = (p: Record<string, unknown> | undefined) =>
    JSON.stringify([ah ? null : p?.encryptionAlgorithm, isAead(p?.encryptionAlgorithm as EncryptionAlgorithm) && !ah ? null : p?.authAlgorithm, p?.pfsGroup]);
  const pfsOptions = PFS_GROUPS.map((v) => ({ value: v, label: v === 'disable' ? t('policy.pfsDisable') : groupLabel(v) }));
  return (
    <Row gutter={16} data-testid="ipsec-fields">
      <WeakWarning
        testId="ipsec"
        labels={weakOfPhase([
          { auth: gcm ? null : auth, encryption: ah ? null : encryption, group: pfs },
          ...extra.map((p) => ({
            auth: !ah && isAead(p?.encryptionAlgorithm) ? null : p?.authAlgorithm,
            encryption: ah ? null : p?.encryptionAlgorithm,
            group: p?.pfsGroup,
          })),
        ])}
        onRecommended={() => {
          for (const [k, v] of Object.entries(RECOMMENDED[ikeVersion ?? formIkeVersion ?? 'v2'].ipsec)) form.setFieldValue([prefix, k], v);
        }}
      />
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'protocol']}
          label={t('policy.protocol')}
          tooltip={t('policy.help.protocol')}
          rules={[{ required: true }]}
          extra={ah ? t('policy.ahHint') : undefined}
        >
          <Select data-testid="ipsec-protocol" options={IPSEC_PROTOCOLS.map((v) => ({ value: v, label: v.toUpperCase() }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'authAlgorithm']} label={t('policy.auth')} tooltip={t('policy.help.ipsecAuth')} rules={gcm ? [] : [{ required: true }]}>
          <Select
            data-testid="ipsec-auth"
            disabled={gcm}
            placeholder={gcm ? t('policy.authInGcm') : undefined}
            options={IPSEC_AUTH_ALGORITHMS.map((v) => ({ value: v, label: v }))}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'encryptionAlgorithm']}
          label={t('policy.encryption')}
          tooltip={t('policy.help.ipsecEncryption')}
          rules={ah ? [] : [{ required: true }]}
        >
          <Select
            data-testid="ipsec-encryption"
            disabled={ah}
            placeholder={ah ? t('policy.noEncryptionAh') : undefined}
            options={ENCRYPTION_ALGORITHMS.map((v) => ({ value: v, label: v }))}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'pfsGroup']} label={t('policy.pfs')} tooltip={t('policy.help.pfs')} rules={[{ required: true }]}>
          <Select data-testid="ipsec-pfs" options={pfsOptions} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'lifetimeSeconds']}
          label={t('policy.lifetime')}
          tooltip={t('policy.help.ipsecLifetime')}
          rules={lifetimeRules(t)}
          extra={t('policy.lifetimeHint', { min: LIFETIME_MIN_SECONDS, max: LIFETIME_MAX_SECONDS })}
        >
          <InputNumber data-testid="ipsec-lifetime" precision={0} style={{ width: '100%' }} addonAfter={t('policy.seconds')} />
        </Form.Item>
      </Col>
      <Col span={24}>
        <ProposalList
          prefix={prefix}
          testId="ipsec"
          seed={(f) => ({ encryptionAlgorithm: f.encryptionAlgorithm, authAlgorithm: f.authAlgorithm, pfsGroup: f.pfsGroup })}
        >
          {(name, index) => {
            const rowGcm = !ah && isAead(extra[index]?.encryptionAlgorithm);
            return (
              <>
                <Col xs={24} md={8}>
                  <Form.Item
                    name={[name, 'encryptionAlgorithm']}
                    label={t('policy.encryption')}
                    rules={ah ? [] : [{ required: true, message: t('validation.required') }]}
                  >
                    <Select
                      data-testid={`ipsec-extra-${index}-encryption`}
                      disabled={ah}
                      placeholder={ah ? t('policy.noEncryptionAh') : undefined}
                      options={ENCRYPTION_ALGORITHMS.map((v) => ({ value: v, label: v }))}
                    />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item
                    name={[name, 'authAlgorithm']}
                    label={t('policy.auth')}
                    rules={rowGcm ? [] : [{ required: true, message: t('validation.required') }]}
                  >
                    <Select
                      data-testid={`ipsec-extra-${index}-auth`}
                      disabled={rowGcm}
                      placeholder={rowGcm ? t('policy.authInGcm') : undefined}
                      options={IPSEC_AUTH_ALGORITHMS.map((v) => ({ value: v, label: v }))}
                    />
                  </Form.Item>
                </Col>
                <Col xs={24} md={8}>
                  <Form.Item
                    name={[name, 'pfsGroup']}
                    label={t('policy.pfs')}
                    dependencies={[
                      [prefix, 'encryptionAlgorithm'],
                      [prefix, 'authAlgorithm'],
                      [prefix, 'pfsGroup'],
                      [prefix, 'additionalProposals'],
                    ]}
                    rules={[{ required: true, message: t('validation.required') }, duplicateRule(t, prefix, index, ipsecKey)]}
                  >
                    <Select data-testid={`ipsec-extra-${index}-pfs`} options={pfsOptions} />
                  </Form.Item>
                </Col>
              </>
            );
          }}
        </ProposalList>
      </Col>
    </Row>
  );
}

/** "aes128 / sha1 / DH 2" (IKE) or "aes256gcm16 / PFS 19" (IPsec): a proposal in one line for the detail page. */
export function proposalText(
  p: { encryptionAlgorithm?: string | null; authAlgorithm?: string | null; dhGroup?: number; pfsGroup?: number | string },
  t: T,
): string {
  const group = p.dhGroup !== undefined ? `DH ${p.dhGroup}` : p.pfsGroup === 'disable' ? t('policy.pfsOff') : `PFS ${p.pfsGroup}`;
  return [p.encryptionAlgorithm, p.authAlgorithm, group].filter(Boolean).join(' / ');
}
