import { useState } from 'react';
import { KeyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { home } from '../App';
import { probeRole, saveSession } from '../auth';
import { LangSwitch } from '../layout/ConsoleLayout';

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async ({ apiKey }: { apiKey: string }) => {
    setBusy(true);
    setError(null);
    const key = apiKey.trim();
    const role = await probeRole(key);
    setBusy(false);
    if (role === null) return setError(t('auth.badKey'));
    if (role === 'error') return setError(t('error.network'));
    saveSession(key, role);
    const from = (location.state as { from?: string } | null)?.from;
    navigate(from && from !== '/login' ? from : home(role), { replace: true });
  };

  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'linear-gradient(135deg,#001529,#1f6feb)' }}>
      <Card style={{ width: 420 }} data-testid="login-card">
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('app.title')}
          </Typography.Title>
          <LangSwitch />
        </Space>
        <Typography.Paragraph type="secondary">{t('auth.hint')}</Typography.Paragraph>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="apiKey" label={t('auth.apiKey')} rules={[{ required: true, message: t('auth.keyRequired') }]}>
            <Input.Password data-testid="api-key-input" prefix={<KeyOutlined />} autoFocus autoComplete="off" />
          </Form.Item>
          <Button data-testid="login-submit" type="primary" htmlType="submit" block loading={busy}>
            {t('auth.login')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
