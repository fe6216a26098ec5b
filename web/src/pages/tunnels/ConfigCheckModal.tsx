// "Check the remote config": the remote administrator pastes (or uploads) their device's
// configuration and sees every difference with this tunnel, the lines it came from and the line
// to write instead. The text goes to the API once and is not kept; a key in it is never shown.
import { useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal, Select, Space, Table, Typography, Upload } from 'antd';
import { UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';

type CheckResult = Schemas['RemoteConfigCheckDto'];
type Finding = Schemas['RemoteConfigFindingDto'];
const FORMATS = ['strongswan-ipsec', 'strongswan-swanctl', 'libreswan', 'cisco-ios', 'huawei'] as const;

export function ConfigCheckModal({ tunnel, onClose }: { tunnel: { id: string; name: string } | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [format, setFormat] = useState<string>('auto');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<CheckResult | null>(null);

  useEffect(() => {
    if (!tunnel) return;
    setText('');
    setResult(null);
    setError(null);
  }, [tunnel]);

  const check = async () => {
    if (!tunnel || !text.trim()) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const body = { config: text, ...(format === 'auto' ? {} : { format: format as (typeof FORMATS)[number] }) };
      setResult(await call(api.POST('/api/v1/vpn-tunnels/{id}/check-remote-config', { params: { path: { id: tunnel.id } }, body })));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const columns = [
    { title: t('configCheck.field'), key: 'field', render: (_: unknown, f: Finding) => t(`configCheck.fields.${f.field}`, { defaultValue: f.label }) },
    {
      title: t('configCheck.yours'),
      key: 'yours',
      render: (_: unknown, f: Finding) => (f.field === 'psk' ? t('configCheck.pskDiffers') : (f.yours ?? t('configCheck.missing'))),
    },
    { title: t('configCheck.expected'), key: 'expected', render: (_: unknown, f: Finding) => (f.field === 'psk' ? '' : f.expected) },
    { title: t('configCheck.lines'), key: 'lines', render: (_: unknown, f: Finding) => f.lines.join(', ') },
    {
      title: t('configCheck.fix'),
      key: 'fix',
      render: (_: unknown, f: Finding) => (f.field === 'psk' ? t('configCheck.pskFix') : <Typography.Text code>{f.fix}</Typography.Text>),
    },
  ];

  return (
    <Modal
      open={!!tunnel}
      width={900}
      title={t('configCheck.title', { name: tunnel?.name ?? '' })}
      onCancel={onClose}
      footer={[
        <Button key="close" onClick={onClose}>
          {t('configCheck.close')}
        </Button>,
        <Button key="check" type="primary" loading={busy} disabled={!text.trim()} onClick={check} data-testid="config-check-submit">
          {t('configCheck.check')}
        </Button>,
      ]}
    >
      <Form layout="vertical">
        <Form.Item label={t('configCheck.text')} extra={t('configCheck.textHint')} htmlFor="config-check-text">
          <Input.TextArea
            id="config-check-text"
            autoFocus
            data-testid="config-check-text"
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={10}
            spellCheck={false}
            style={{ fontFamily: 'monospace' }}
          />
        </Form.Item>
        <Space wrap>
          <Upload
            accept=".conf,.txt,.cfg"
            showUploadList={false}
            beforeUpload={(file) => {
              void file.text().then(setText);
              return false;
            }}
          >
            <Button icon={<UploadOutlined />}>{t('configCheck.upload')}</Button>
          </Upload>
          <Select
            aria-label={t('configCheck.format')}
            style={{ minWidth: 240 }}
            value={format}
            onChange={setFormat}
            options={[{ value: 'auto', label: t('configCheck.autoFormat') }, ...FORMATS.map((f) => ({ value: f, label: t(`configCheck.formats.${f}`) }))]}
          />
        </Space>
      </Form>
      {error && <Alert style={{ marginTop: 16 }} type="error" showIcon message={error} data-testid="config-check-error" />}
      {result && (
        <div style={{ marginTop: 16 }} data-testid="config-check-result">
          {!result.detected && (
            <Alert
              type="warning"
              showIcon
              message={t('configCheck.formatGuess', { format: t(`configCheck.formats.${result.format}`) })}
              style={{ marginBottom: 8 }}
            />
          )}
          {result.findings.length === 0 ? (
            <Alert type="success" showIcon message={t('configCheck.allMatch', { count: result.checked.length })} />
          ) : (
            <Table size="small" rowKey="field" pagination={false} columns={columns} dataSource={result.findings} />
          )}
        </div>
      )}
    </Modal>
  );
}
