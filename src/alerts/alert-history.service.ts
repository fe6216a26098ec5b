import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { NotFound } from '../common/errors';
import { pageQuery } from '../common/list';
import { Page, ResolvedListQuery } from '../common/list-query';
import { Alert, Notification, WebhookDelivery } from './alert.entities';
import { AlertDto, AlertListQueryDto, DeliveryListQueryDto, NotificationDto, NotificationListQueryDto, WebhookDeliveryDto } from './alerts.dto';

export const ALERT_SORT = { firedAt: 'a.fired_at', resolvedAt: 'a.resolved_at' };
export const NOTIFICATION_SORT = { createdAt: 'n.created_at' };
export const DELIVERY_SORT = { createdAt: 'd.created_at' };

export function alertView(a: Alert): AlertDto {
  return {
    id: a.id, state: a.state, resolution: a.resolution, rule: a.rule, templateId: a.templateId, templateName: a.templateName,
    resource: { type: a.resourceType, id: a.resourceId, name: a.resourceName },
    value: a.value, resolvedValue: a.resolvedValue, firedAt: a.firedAt, resolvedAt: a.resolvedAt,
  };
}

/** A notification with, for alert events, the alert's resource name, template name and rule (names, not ids). */
export function notificationView(n: Notification, alert?: Alert): NotificationDto {
  return {
    id: n.id, event: n.event, alertId: n.alertId, resourceType: n.resourceType, resourceId: n.resourceId,
    message: n.message, read: n.read, readAt: n.readAt, createdAt: n.createdAt,
    resourceName: alert?.resourceName ?? null, templateName: alert?.templateName ?? null, rule: alert?.rule ?? null,
  };
}

export function deliveryView(d: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: d.id, alertId: d.alertId, templateId: d.templateId, channelId: d.channelId, event: d.event, url: d.url, status: d.status,
    attempts: d.attempts, maxAttempts: d.maxAttempts, nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode, lastError: d.lastError, createdAt: d.createdAt, deliveredAt: d.deliveredAt,
  };
}

/** Reads of alert history, in-console notifications and webhook deliveries (tenant-scoped). */
@Injectable()
export class AlertHistoryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  alerts(tenantId: string, q: ResolvedListQuery, f: AlertListQueryDto): Promise<Page<Alert>> {
    const qb = this.db.getRepository(Alert).createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    if (f.resourceId) qb.andWhere('a.resource_id = :resourceId', { resourceId: f.resourceId });
    if (f.resourceType) qb.andWhere('a.resource_type = :resourceType', { resourceType: f.resourceType });
    if (f.state) qb.andWhere('a.state = :state', { state: f.state });
    if (f.templateId) qb.andWhere('a.template_id = :templateId', { templateId: f.templateId });
    return pageQuery(qb, q, ['a.resource_name', 'a.resource_id', 'a.template_name', 'a.id']);
  }

  async alert(tenantId: string, id: string): Promise<Alert> {
    const a = await this.db.getRepository(Alert).findOne({ where: { id, tenantId } });
    if (!a) throw new NotFound('alert', id);
    return a;
  }

  async notifications(tenantId: string, q: ResolvedListQuery, f: NotificationListQueryDto): Promise<Page<Notification> & { unreadCount: number; alerts: Map<string, Alert> }> {
    const qb = this.db.getRepository(Notification).createQueryBuilder('n').where('n.tenant_id = :tenantId', { tenantId });
    if (f.unread !== undefined) qb.andWhere('n.read = :read', { read: f.unread !== 'true' });
    if (f.resourceId) qb.andWhere('n.resource_id = :resourceId', { resourceId: f.resourceId });
    const page = await pageQuery(qb, q, ['n.message', 'n.resource_id']);
    const unreadCount = await this.db.getRepository(Notification).count({ where: { tenantId, read: false } });
    return { ...page, unreadCount, alerts: await this.alertsOf(tenantId, page.items) };
  }

  /** The alerts behind a page of notifications (billing notices have none), by id. */
  async alertsOf(tenantId: string, items: Notification[]): Promise<Map<string, Alert>> {
    const ids = items.filter((n) => n.event === 'firing' || n.event === 'resolved').map((n) => n.alertId);
    if (!ids.length) return new Map();
    const alerts = await this.db.getRepository(Alert).find({ where: { tenantId, id: In(ids) } });
    return new Map(alerts.map((a) => [a.id, a]));
  }

  async markRead(tenantId: string, id: string): Promise<Notification> {
    const repo = this.db.getRepository(Notification);
    // Idempotent: reading a read notification keeps its first readAt.
    await repo.update({ id, tenantId, read: false }, { read: true, readAt: new Date() });
    const n = await repo.findOne({ where: { id, tenantId } });
    if (!n) throw new NotFound('notification', id);
    return n;
  }

  async markAllRead(tenantId: string): Promise<number> {
    const result = await this.db.getRepository(Notification).update({ tenantId, read: false }, { read: true, readAt: new Date() });
    return result.affected ?? 0;
  }

  deliveries(tenantId: string, q: ResolvedListQuery, f: DeliveryListQueryDto): Promise<Page<WebhookDelivery>> {
    const qb = this.db.getRepository(WebhookDelivery).createQueryBuilder('d').where('d.tenant_id = :tenantId', { tenantId });
    if (f.alertId) qb.andWhere('d.alert_id = :alertId', { alertId: f.alertId });
    if (f.status) qb.andWhere('d.status = :status', { status: f.status });
    return pageQuery(qb, q, ['d.url', 'd.id', 'd.alert_id']);
  }
}
