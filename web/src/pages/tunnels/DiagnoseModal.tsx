// "Diagnose": the gateway's host checks the tunnel now (does the peer answer IKE, are the SAs up
// and moving, are the routes applied) and the page shows the checklist in order. The API's own
// sentences name addresses and counters; in Chinese the page says each check's meaning and advice
// from its catalogue, and keeps the API's sentence for English.
import { useEffect, useState } from 'react';
import { Alert, Button, List, Modal, Space, Spin, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';

type Diagnosis = Schemas['TunnelDiagnosisDto'];
const STATUS_COLOR: Record<string, string> = { pass: 'success', fail: 'error', warn: 'warning', skip: 'default' };

export function DiagnoseModal({ tunnel, onClose }: { tunnel: { id: string; name: string } | null; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [result, setResult] = useState<Diagnosis | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (id: string) => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await call(api.POST('/api/v1/vpn-tunnels/{id}/diagnose', { params: { path: { id } } })));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (tunnel) void run(tunnel.id);
  }, [tunnel]);

  const english = i18n.language === 'en';
  return (
    <Modal
      open={!!tunnel}
      width={760}
      title={t('diagnose.title', { name: tunnel?.name ?? '' })}
      onCancel={onClose}
      footer={[
        <Button key="again" disabled={busy || !tunnel} onClick={() => tunnel && run(tunnel.id)} data-testid="diagnose-again">
          {t('diagnose.again')}
        </Button>,
        <Button key="close" type="primary" onClick={onClose}>
          {t('diagnose.close')}
        </Button>,
      ]}
    >
      {busy && (
        <Space>
          <Spin /> {t('diagnose.running')}
        </Space>
      )}
      {error && <Alert type="error" showIcon message={error} data-testid="diagnose-error" />}
      {result && (
        <List
          data-testid="diagnose-result"
          dataSource={result.checks}
          renderItem={(c) => (
            <List.Item data-testid="diagnose-check" data-check={c.id} data-status={c.status}>
              <List.Item.Meta
                title={
                  <Space>
                    <Tag color={STATUS_COLOR[c.status]}>{t(`diagnose.status.${c.status}`)}</Tag>
                    {t(`diagnose.checks.${c.id}`)}
                  </Space>
                }
                description={
                  english ? (
                    <>
                      <div>{c.detail}</div>
                      {c.advice && c.status !== 'pass' && <Typography.Text type="secondary">{c.advice}</Typography.Text>}
                    </>
                  ) : c.status === 'pass' || c.status === 'skip' ? null : (
                    <Typography.Text type="secondary">{t(`diagnose.advice.${c.id}`)}</Typography.Text>
                  )
                }
              />
            </List.Item>
          )}
        />
      )}
    </Modal>
  );
}
