import { useEffect, useState } from 'react';
import { App, Button, Select, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { errorText } from './errors';
import { templateName } from './systemText';

/** The alert template of a gateway or tunnel, changeable in place. */
export function AlertTemplateBinding({
  kind,
  id,
  value,
  onChanged,
}: {
  kind: 'gateway' | 'tunnel';
  id: string;
  value: string | null | undefined;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [templates, setTemplates] = useState<Schemas['AlertTemplateDto'][]>([]);
  const [editing, setEditing] = useState(false);
  const [choice, setChoice] = useState<string | undefined>(value ?? undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void call(api.GET('/api/v1/alert-templates', { params: { query: { limit: 200 } } }))
      .then((p) => setTemplates(p.items))
      .catch(() => undefined);
  }, []);
  useEffect(() => setChoice(value ?? undefined), [value]);

  const current = templates.find((x) => x.id === value);
  if (!editing) {
    return (
      <Space>
        <span data-testid="alert-template-name">{current ? templateName(current.name, t) : value ? value : t('alert.none')}</span>
        <Button type="link" size="small" data-testid="alert-template-change" onClick={() => setEditing(true)}>
          {t('common.change')}
        </Button>
      </Space>
    );
  }
  const save = async () => {
    if (!choice) return;
    setBusy(true);
    try {
      const body = { alertTemplateId: choice };
      if (kind === 'gateway') await call(api.PUT('/api/v1/vpn-gateways/{id}/alert-template', { params: { path: { id } }, body }));
      else await call(api.PUT('/api/v1/vpn-tunnels/{id}/alert-template', { params: { path: { id } }, body }));
      void message.success(t('common.saved'));
      setEditing(false);
      onChanged();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space wrap>
      <Select
        data-testid="alert-template-select"
        style={{ width: 240 }}
        value={choice}
        onChange={setChoice}
        options={templates.map((x) => ({ value: x.id, label: x.isDefault ? `${templateName(x.name, t)} (${t('alert.default')})` : x.name }))}
        notFoundContent={<Link to="/alert-templates">{t('alert.createFirst')}</Link>}
      />
      <Button type="primary" size="small" loading={busy} onClick={save} data-testid="alert-template-save">
        {t('common.save')}
      </Button>
      <Button size="small" onClick={() => setEditing(false)}>
        {t('common.cancel')}
      </Button>
    </Space>
  );
}
