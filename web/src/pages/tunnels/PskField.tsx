import { CopyOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { App, Button, Form, Input, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { generatePsk, PSK_CHARSET, PSK_MAX } from '../../components/rules';

/** The pre-shared key: the charset rule shown, a strong key generated on demand. */
export function PskField({ name = 'psk', required = true }: { name?: string; required?: boolean }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const { message } = App.useApp();
  return (
    <Form.Item label={t('tunnel.psk')} required={required} extra={t('tunnel.pskRule', { max: PSK_MAX })}>
      <Space.Compact style={{ width: '100%' }}>
        <Form.Item
          name={name}
          noStyle
          rules={[
            ...(required ? [{ required: true, message: t('tunnel.pskRequired') }] : []),
            { max: PSK_MAX, message: t('tunnel.pskRule', { max: PSK_MAX }) },
            {
              validator: async (_r: unknown, v: string | undefined) => {
                if (v && !PSK_CHARSET.test(v))
                  throw new Error(v.includes('?') || v.includes(' ') ? t('tunnel.pskBadChar') : t('tunnel.pskRule', { max: PSK_MAX }));
              },
            },
          ]}
        >
          <Input.Password data-testid="psk-input" aria-label={t('tunnel.psk')} autoComplete="new-password" visibilityToggle />
        </Form.Item>
        <Button
          data-testid="psk-generate"
          icon={<ThunderboltOutlined />}
          onClick={() => {
            form.setFieldValue(name, generatePsk());
            void form.validateFields([name]);
          }}
        >
          {t('tunnel.pskGenerate')}
        </Button>
        <Button
          data-testid="psk-copy"
          icon={<CopyOutlined />}
          aria-label={t('tunnel.pskCopy')}
          onClick={() => {
            const v = form.getFieldValue(name) as string | undefined;
            if (v)
              void navigator.clipboard?.writeText(v).then(
                () => message.success(t('tunnel.pskCopied')),
                () => undefined,
              );
          }}
        >
          {t('tunnel.pskCopy')}
        </Button>
      </Space.Compact>
    </Form.Item>
  );
}
