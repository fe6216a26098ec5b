// Download a tunnel's configuration for the remote administrator: side and vendor.
import { useEffect, useState } from 'react';
import { Alert, App, Form, Modal, Radio, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, download, qs, type Schemas } from '../../api/client';
import { errorText } from '../../components/errors';
import { vendorName } from '../../components/systemText';

export type Vendor = Pick<Schemas['RemoteConfigVendorDto'], 'id' | 'name' | 'sides' | 'notes'> & { isDefault: boolean };

let vendorCache: Vendor[] | null = null;

async function loadVendors(): Promise<Vendor[]> {
  if (vendorCache) return vendorCache;
  try {
    const raw = await call(api.GET('/api/v1/remote-config/vendors'));
    vendorCache = raw.items.map((v) => ({ id: v.id, name: v.name, sides: v.sides, isDefault: v.default, notes: v.notes }));
  } catch {
    vendorCache = [];
  }
  return vendorCache;
}

export function ConfigDownloadModal({ tunnel, onClose }: { tunnel: { id: string; name: string } | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [vendors, setVendors] = useState<Vendor[]>([]);
  const [side, setSide] = useState<'remote' | 'platform'>('remote');
  const [vendor, setVendor] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!tunnel) return;
    setError(null);
    void loadVendors().then((v) => {
      setVendors(v);
      setVendor((cur) => cur ?? (v.find((x) => x.isDefault) ?? v[0])?.id);
    });
  }, [tunnel]);

  const current = vendors.find((v) => v.id === vendor);
  // side applies only to vendors that offer both views (the seed's ipsec.conf); others take none.
  const sideApplies = !current || current.sides.length > 1;

  const submit = async () => {
    if (!tunnel) return;
    setBusy(true);
    setError(null);
    try {
      await download(`/api/v1/vpn-tunnels/${tunnel.id}/config${qs({ vendor, side: sideApplies ? side : undefined })}`, `${tunnel.name || tunnel.id}.conf`);
      onClose();
    } catch (e) {
      setError(errorText(e));
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={!!tunnel}
      title={t('tunnel.downloadConfigTitle', { name: tunnel?.name ?? '' })}
      onOk={submit}
      onCancel={onClose}
      okText={t('tunnel.download')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'config-download-submit' }}
    >
      <Form layout="vertical">
        {vendors.length > 0 && (
          <Form.Item label={t('tunnel.vendor')}>
            <Select
              data-testid="config-vendor"
              aria-label={t('tunnel.vendor')}
              value={vendor}
              onChange={setVendor}
              options={vendors.map((v) => ({ value: v.id, label: vendorName(v.id, v.name, t) }))}
            />
          </Form.Item>
        )}
        {sideApplies && (
          <Form.Item label={t('tunnel.configSide')} extra={side === 'remote' ? t('tunnel.sideRemoteHint') : t('tunnel.sidePlatformHint')}>
            <Radio.Group data-testid="config-side" value={side} onChange={(e) => setSide(e.target.value as 'remote' | 'platform')} optionType="button">
              <Radio.Button value="remote">{t('tunnel.sideRemote')}</Radio.Button>
              <Radio.Button value="platform">{t('tunnel.sidePlatform')}</Radio.Button>
            </Radio.Group>
          </Form.Item>
        )}
      </Form>
      {error && <Alert type="error" showIcon message={error} data-testid="config-error" />}
    </Modal>
  );
}
