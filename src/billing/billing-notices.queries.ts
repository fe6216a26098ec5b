// Billing notices ("expires soon", "expired", "auto-renewal failed", "renewed", "released") reuse
// the alerting outbox: an in-console notification always, and a webhook delivery to every webhook
// channel of the gateway's alert template (the tenant's default template when it has none).
// A notice is recorded once per gateway, kind and expiry (unique index), inside the caller's
// transaction: two sweeps, or a sweep run twice, notify once.
import { EntityManager } from 'typeorm';
import { AlertTemplate } from '../alerts/alert-template.entity';
import { Notification } from '../alerts/notification.entity';
import { WebhookDelivery } from '../alerts/webhook-delivery.entity';
import { ID_PREFIX, newId } from '../common/ids';
import { BillingNotice, NoticeKind } from './billing-notice.entity';

export interface NoticeGateway {
  id: string;
  tenantId: string;
  name: string;
  alertTemplateId: string | null;
}

/** Writes the notice and its notifications; false when this notice was already sent. */
export async function sendNotice(
  m: EntityManager,
  g: NoticeGateway,
  kind: NoticeKind,
  expiresAt: Date,
  message: string,
  webhookMaxAttempts: number,
  now = new Date(),
): Promise<{ sent: boolean; deliveries: number }> {
  const id = newId(ID_PREFIX.billingNotice);
  const text = message.length > 512 ? `${message.slice(0, 509)}...` : message;
  const inserted = await m
    .createQueryBuilder()
    .insert()
    .into(BillingNotice)
    .values({ id, tenantId: g.tenantId, gatewayId: g.id, kind, expiresAt, message: text, createdAt: now })
    .orIgnore()
    .returning('id')
    .execute();
  if (!(inserted.raw as unknown[]).length) return { sent: false, deliveries: 0 };

  await m.insert(Notification, {
    id: newId(ID_PREFIX.notification),
    tenantId: g.tenantId,
    alertId: id,
    event: kind as never,
    resourceType: 'gateway',
    resourceId: g.id,
    message: text,
    read: false,
    readAt: null,
    createdAt: now,
  });
  const template = g.alertTemplateId
    ? await m.findOne(AlertTemplate, { where: { id: g.alertTemplateId } })
    : await m.findOne(AlertTemplate, { where: { tenantId: g.tenantId, isDefault: true } });
  let deliveries = 0;
  for (const channel of template?.channels ?? []) {
    if (channel.type !== 'webhook') continue;
    const deliveryId = newId(ID_PREFIX.webhookDelivery);
    const body = JSON.stringify({
      event: `billing.${kind}`,
      deliveryId,
      tenantId: g.tenantId,
      createdAt: now.toISOString(),
      notice: { id, kind, expiresAt: expiresAt.toISOString() },
      resource: { type: 'gateway', id: g.id, name: g.name },
      message: text,
    });
    await m.insert(WebhookDelivery, {
      id: deliveryId,
      tenantId: g.tenantId,
      alertId: id,
      templateId: template!.id,
      channelId: channel.id,
      event: kind as never,
      url: channel.url,
      body,
      secretSealed: channel.secretSealed,
      status: 'pending',
      attempts: 0,
      maxAttempts: webhookMaxAttempts,
      nextAttemptAt: now,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      deliveredAt: null,
    });
    deliveries++;
  }
  return { sent: true, deliveries };
}
