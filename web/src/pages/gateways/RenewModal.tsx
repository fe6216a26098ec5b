import { useEffect, useRef, useState } from 'react';
import { App, Descriptions, Form, Modal, Select, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { useSubmit } from '../../components/errors';
import { focusFirstOnOpen } from '../../components/focusFirst';
import { fmtTime } from '../../components/format';
import { money } from '../../components/money';
import { periodOptions } from './periods';

type Gateway = Schemas['GatewayDto'];
type Quote = Schemas['QuoteDto'];

/** Renewal starts where the paid time ends (or now when it already ended). */
function renewedUntil(g: Gateway, period: number): string {
  const now = dayjs();
  const start = g.expiresAt && dayjs(g.expiresAt).isAfter(now) ? dayjs(g.expiresAt) : now;
  const unit = g.chargeType === 'hourly' ? 'hour' : g.chargeType === 'monthly' ? 'month' : 'year';
  return start.add(period, unit).toISOString();
}

/** Renewal: hourly 1-24 h, monthly 1-11 months, yearly 1-5 years, in the gateway's own charge type. */
export function RenewModal({ gateway, onClose }: { gateway: Gateway | null; onClose: (changed: boolean) => void }) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ period: number }>();
  const period = Form.useWatch('period', form);
  const [quote, setQuote] = useState<Quote | null>(null);

  useEffect(() => {
    if (gateway) form.setFieldsValue({ period: 1 });
    setQuote(null);
  }, [gateway, form]);

  useEffect(() => {
    if (!gateway || !period) return;
    let live = true;
    call(api.POST('/api/v1/vpn-gateways/quote', { body: { machineTypeId: gateway.machineTypeId, chargeType: gateway.chargeType, period } }))
      .then((q) => live && setQuote(q))
      .catch(() => live && setQuote(null));
    return () => {
      live = false;
    };
  }, [gateway, period]);

  const { busy, submit } = useSubmit(form, async (v) => {
    if (!gateway) return;
    await call(api.POST('/api/v1/vpn-gateways/{id}/renew', { params: { path: { id: gateway.id } }, body: { period: v.period } }));
    void message.success(t('gateway.renewed', { name: gateway.name }));
    onClose(true);
  });

  return (
    <Modal
      open={!!gateway}
      title={t('gateway.renewTitle', { name: gateway?.name ?? '' })}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('gateway.renewNow')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'renew-submit' }}
      destroyOnHidden
      afterOpenChange={focusFirstOnOpen(bodyRef)}
    >
      {gateway && (
        <div ref={bodyRef}>
          <Descriptions column={1} size="small" style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('gateway.chargeType')}>{t(`charge.${gateway.chargeType}`)}</Descriptions.Item>
            <Descriptions.Item label={t('gateway.expiresAt')}>{fmtTime(gateway.expiresAt)}</Descriptions.Item>
          </Descriptions>
          <Form form={form} layout="vertical">
            <Form.Item name="period" label={t('gateway.period')} rules={[{ required: true, message: t('validation.required') }]}>
              <Select data-testid="renew-period" options={periodOptions(gateway.chargeType, t)} />
            </Form.Item>
          </Form>
          <Typography.Paragraph type="secondary">{t('gateway.renewNote')}</Typography.Paragraph>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('gateway.total')}>
              <Typography.Text strong data-testid="renew-amount">
                {quote ? money(quote.amount, quote.currency) : '-'}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('gateway.newExpiry')}>{gateway && period ? fmtTime(renewedUntil(gateway, period)) : '-'}</Descriptions.Item>
          </Descriptions>
        </div>
      )}
    </Modal>
  );
}
