// IKE (phase 1) and IPsec (phase 2) policy fields with the spec's defaults (SPEC.md tables,
// src/policy/policy.ts): mode only for IKEv1, no encryption with AH, lifetimes 3600-86400 s.
import { useEffect } from 'react';
import { Alert, Button, Col, Form, Input, InputNumber, Row, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { isIpv4 } from '../../components/rules';

type Ike = Schemas['IkePolicyViewDto'];
type Ipsec = Schemas['IpsecPolicyViewDto'];

export const IKE_VERSIONS = ['v1', 'v2'] as const;
export const IKE_AUTH = ['md5', 'sha1', 'sha2-256', 'sha2-384', 'sha2-512'] as const;
export const ENCRYPTION = ['3des', 'aes128', 'aes192', 'aes256', 'aes128gcm16', 'aes256gcm16'] as const;
/** AES-GCM: IKEv2 only in phase 1; in ESP it carries its own integrity (no auth algorithm). */
export const GCM = ['aes128gcm16', 'aes256gcm16'] as const;
export const MODES = ['main', 'aggressive'] as const;
export const DH_GROUPS = [1, 2, 5, 14, 24, 19, 20, 21, 31] as const;
export const PROTOCOLS = ['esp', 'ah'] as const;
export const IPSEC_AUTH = ['md5', 'sha1', 'sha2-256', 'sha2-384', 'sha2-512'] as const;
export const PFS_GROUPS = [1, 2, 5, 14, 24, 19, 20, 21, 31, 'disable'] as const;
const DH_NAMES: Record<number, string> = {
  1: 'modp768', 2: 'modp1024', 5: 'modp1536', 14: 'modp2048', 24: 'modp2048s256', 19: 'ecp256', 20: 'ecp384', 21: 'ecp521', 31: 'curve25519',
};

export function isGcm(enc: string | null | undefined): boolean {
  return !!enc && (GCM as readonly string[]).includes(enc);
}

// Accepted as the spec requires, flagged as the API's `weak` list does (src/policy/policy.ts).
const WEAK_VALUES = new Set<string | number>(['md5', 'sha1', '3des', 1, 2, 5, 24]);

/** The weak values among a phase's fields, for the console's warning ('sha1', 'DH 2'). */
export function weakLabels(fields: { auth?: string | null; encryption?: string | null; group?: number | string | null }): string[] {
  const out: string[] = [];
  if (fields.auth && WEAK_VALUES.has(fields.auth)) out.push(fields.auth);
  if (fields.encryption && WEAK_VALUES.has(fields.encryption)) out.push(fields.encryption);
  if (typeof fields.group === 'number' && WEAK_VALUES.has(fields.group)) out.push(`DH ${fields.group}`);
  return out;
}

/**
 * The "recommended" preset (the same as RECOMMENDED in src/policy/policy.ts, documented in
 * docs/decisions.md): IKEv2 AES-256-GCM / SHA-256 PRF / ECP 256 in both phases; IKEv1, which has no
 * IKE GCM and (libreswan) no ECP PFS, AES-256-CBC / SHA-256 / MODP 2048 in both phases.
 */
export const RECOMMENDED = {
  v2: {
    ike: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-256', dhGroup: 19 },
    ipsec: { protocol: 'esp', encryptionAlgorithm: 'aes256gcm16', authAlgorithm: undefined, pfsGroup: 19 },
  },
  v1: {
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14 },
    ipsec: { protocol: 'esp', encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', pfsGroup: 14 },
  },
} as const;

function WeakWarning({ labels, onRecommended, testId }: { labels: string[]; onRecommended: () => void; testId: string }) {
  const { t } = useTranslation();
  return (
    <Col span={24}>
      {labels.length > 0 && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} data-testid={`${testId}-weak`} message={t('policy.weakWarning', { list: labels.join(', ') })} />
      )}
      <Button size="small" style={{ marginBottom: 12 }} data-testid={`${testId}-recommended`} onClick={onRecommended}>
        {t('policy.useRecommended')}
      </Button>
    </Col>
  );
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
}

export interface IpsecForm {
  protocol: Ipsec['protocol'];
  authAlgorithm?: Ipsec['authAlgorithm'];
  encryptionAlgorithm?: Ipsec['encryptionAlgorithm'];
  pfsGroup: Ipsec['pfsGroup'];
  lifetimeSeconds: number;
}

export const IKE_DEFAULTS: IkeForm = { version: 'v2', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes128', exchangeMode: 'main', dhGroup: 2, lifetimeSeconds: 86400 };
export const IPSEC_DEFAULTS: IpsecForm = { protocol: 'esp', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes128', pfsGroup: 2, lifetimeSeconds: 86400 };

function isFqdn(text: string): boolean {
  if (text.length > 253 || isIpv4(text)) return false;
  const labels = text.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l)) && /[a-zA-Z]/.test(labels[labels.length - 1]);
}

/** The body the API expects: no exchangeMode for IKEv2, empty ids left out (the API defaults them). */
export function ikeBody(v: IkeForm): Schemas['IkePolicyDto'] {
  const body: Record<string, unknown> = {
    version: v.version,
    authAlgorithm: v.authAlgorithm,
    encryptionAlgorithm: v.encryptionAlgorithm,
    dhGroup: v.dhGroup,
    lifetimeSeconds: v.lifetimeSeconds,
  };
  if (v.version === 'v1') body.exchangeMode = v.exchangeMode ?? 'main';
  if (v.localId?.trim()) body.localId = v.localId.trim();
  if (v.remoteId?.trim()) body.remoteId = v.remoteId.trim();
  return body as Schemas['IkePolicyDto'];
}

/** No encryptionAlgorithm with AH; no authAlgorithm with ESP AES-GCM. */
export function ipsecBody(v: IpsecForm): Schemas['IpsecPolicyDto'] {
  const body: Record<string, unknown> = { protocol: v.protocol, pfsGroup: v.pfsGroup, lifetimeSeconds: v.lifetimeSeconds };
  if (v.protocol === 'esp') body.encryptionAlgorithm = v.encryptionAlgorithm ?? 'aes128';
  if (v.protocol === 'ah' || !isGcm(v.encryptionAlgorithm)) body.authAlgorithm = v.authAlgorithm ?? 'sha1';
  return body as Schemas['IpsecPolicyDto'];
}

const lifetimeRules = (t: (k: string) => string) => [
  { required: true, message: t('validation.required') },
  { type: 'integer' as const, min: 3600, max: 86400, message: t('validation.lifetime') },
];

export function IkePolicyFields({ prefix = 'ikePolicy', gatewayIp, peerIp }: { prefix?: string; gatewayIp?: string; peerIp?: string }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const version = Form.useWatch([prefix, 'version'], form) as IkeForm['version'] | undefined;
  const auth = Form.useWatch([prefix, 'authAlgorithm'], form) as string | undefined;
  const encryption = Form.useWatch([prefix, 'encryptionAlgorithm'], form) as string | undefined;
  const group = Form.useWatch([prefix, 'dhGroup'], form) as number | undefined;
  const anyPeer = peerIp === '0.0.0.0';
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
  return (
    <Row gutter={16} data-testid="ike-fields">
      <WeakWarning
        testId="ike"
        labels={weakLabels({ auth, encryption, group })}
        onRecommended={() => {
          for (const [k, v] of Object.entries(RECOMMENDED[version ?? 'v2'].ike)) form.setFieldValue([prefix, k], v);
        }}
      />
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'version']} label={t('policy.ikeVersion')} rules={[{ required: true }]}>
          <Select data-testid="ike-version" options={IKE_VERSIONS.map((v) => ({ value: v, label: v === 'v1' ? 'IKEv1' : 'IKEv2' }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        {version === 'v1' && (
          <Form.Item name={[prefix, 'exchangeMode']} label={t('policy.exchangeMode')} rules={[{ required: true }]} extra={t('policy.modeHint')}>
            <Select data-testid="ike-mode" options={MODES.map((m) => ({ value: m, label: t(`policy.mode.${m}`) }))} />
          </Form.Item>
        )}
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'authAlgorithm']} label={t('policy.auth')} rules={[{ required: true }]}>
          <Select data-testid="ike-auth" options={IKE_AUTH.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'encryptionAlgorithm']} label={t('policy.encryption')} rules={[{ required: true }]}>
          <Select data-testid="ike-encryption" options={ENCRYPTION.map((v) => ({ value: v, label: v, disabled: version === 'v1' && isGcm(v) }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'dhGroup']} label={t('policy.dhGroup')} rules={[{ required: true }]}>
          <Select data-testid="ike-dh" options={DH_GROUPS.map((v) => ({ value: v, label: `${v} (${DH_NAMES[v]})` }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'lifetimeSeconds']} label={t('policy.lifetime')} rules={lifetimeRules(t)} extra={t('policy.lifetimeHint')}>
          <InputNumber data-testid="ike-lifetime" precision={0} style={{ width: '100%' }} addonAfter={t('policy.seconds')} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'localId']} label={t('policy.localId')} rules={idRule(false)} extra={t('policy.localIdHint', { ip: gatewayIp ?? '-' })}>
          <Input data-testid="ike-local-id" placeholder={gatewayIp} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[prefix, 'remoteId']}
          label={t('policy.remoteId')}
          rules={idRule(anyPeer)}
          extra={anyPeer ? t('tunnel.remoteIdRequired') : t('policy.remoteIdHint', { ip: peerIp ?? '-' })}
        >
          <Input data-testid="ike-remote-id" placeholder={anyPeer ? '' : peerIp} />
        </Form.Item>
      </Col>
    </Row>
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
  const ah = protocol === 'ah';
  const gcm = !ah && isGcm(encryption);
  // AH has no encryption: clear the field; back to ESP, preselect the default again.
  useEffect(() => {
    const current = form.getFieldValue([prefix, 'encryptionAlgorithm']) as string | undefined;
    if (ah && current) form.setFieldValue([prefix, 'encryptionAlgorithm'], undefined);
    if (protocol === 'esp' && !current) form.setFieldValue([prefix, 'encryptionAlgorithm'], IPSEC_DEFAULTS.encryptionAlgorithm);
    // Leaving AES-GCM (stored without integrity): preselect the default integrity again.
    if (protocol && !gcm && !form.getFieldValue([prefix, 'authAlgorithm'])) form.setFieldValue([prefix, 'authAlgorithm'], IPSEC_DEFAULTS.authAlgorithm);
  }, [ah, gcm, protocol, form, prefix]);
  return (
    <Row gutter={16} data-testid="ipsec-fields">
      <WeakWarning
        testId="ipsec"
        labels={weakLabels({ auth: gcm ? null : auth, encryption: ah ? null : encryption, group: pfs })}
        onRecommended={() => {
          for (const [k, v] of Object.entries(RECOMMENDED[ikeVersion ?? formIkeVersion ?? 'v2'].ipsec)) form.setFieldValue([prefix, k], v);
        }}
      />
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'protocol']} label={t('policy.protocol')} rules={[{ required: true }]} extra={ah ? t('policy.ahHint') : undefined}>
          <Select data-testid="ipsec-protocol" options={PROTOCOLS.map((v) => ({ value: v, label: v.toUpperCase() }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'authAlgorithm']} label={t('policy.auth')} rules={gcm ? [] : [{ required: true }]}>
          <Select data-testid="ipsec-auth" disabled={gcm} placeholder={gcm ? t('policy.authInGcm') : undefined} options={IPSEC_AUTH.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'encryptionAlgorithm']} label={t('policy.encryption')} rules={ah ? [] : [{ required: true }]}>
          <Select data-testid="ipsec-encryption" disabled={ah} placeholder={ah ? t('policy.noEncryptionAh') : undefined} options={ENCRYPTION.map((v) => ({ value: v, label: v }))} />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'pfsGroup']} label={t('policy.pfs')} rules={[{ required: true }]}>
          <Select
            data-testid="ipsec-pfs"
            options={PFS_GROUPS.map((v) => ({ value: v, label: v === 'disable' ? t('policy.pfsDisable') : `${v} (${DH_NAMES[v]})` }))}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[prefix, 'lifetimeSeconds']} label={t('policy.lifetime')} rules={lifetimeRules(t)} extra={t('policy.lifetimeHint')}>
          <InputNumber data-testid="ipsec-lifetime" precision={0} style={{ width: '100%' }} addonAfter={t('policy.seconds')} />
        </Form.Item>
      </Col>
    </Row>
  );
}
