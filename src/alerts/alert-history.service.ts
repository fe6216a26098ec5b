import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFound } from '../common/errors';
import { Page, ResolvedListQuery } from '../common/list-query';
import { Alert } from './alert.entity';
import { Notification } from './notification.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { AlertHistoryQueries } from './alerts.queries';
import { AlertDto, AlertListQueryDto, DeliveryListQueryDto, NotificationDto, NotificationListQueryDto, WebhookDeliveryDto } from './alerts.dto';

export function alertView(a: Alert): AlertDto {
  return {
    id: a.id,
    state: a.state,
    resolution: a.resolution,
    rule: a.rule,
    templateId: a.templateId,
    templateName: a.templateName,
    resource: { type: a.resourceType, id: a.resourceId, name: a.resourceName },
    value: a.value,
    resolvedValue: a.resolvedValue,
    firedAt: a.firedAt,
    resolvedAt: a.resolvedAt,
  };
}

/** A notification with, for alert events, the alert's resource name, template name and rule (names, not ids). */
export function notificationView(n: Notification, alert?: Alert): NotificationDto {
  return {
    id: n.id,
    event: n.event,
    alertId: n.alertId,
    resourceType: n.resourceType,
    resourceId: n.resourceId,
    message: n.message,
    read: n.read,
    readAt: n.readAt,
    createdAt: n.createdAt,
    resourceName: alert?.resourceName ?? null,
    templateName: alert?.templateName ?? null,
    rule: alert?.rule ?? null,
  };
}

export function deliveryView(d: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: d.id,
    alertId: d.alertId,
    templateId: d.templateId,
    channelId: d.channelId,
    event: d.event,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    maxAttempts: d.maxAttempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt,
    deliveredAt: d.deliveredAt,
  };
}

/** Reads of alert history, in-console notifications and webhook deliveries (tenant-scoped). */
@Injectable()
export class AlertHistoryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get rows(): AlertHistoryQueries {
    return new AlertHistoryQueries(this.db);
  }

  alerts(tenantId: string, q: ResolvedListQuery, f: AlertListQueryDto): Promise<Page<Alert>> {
    return this.rows.alerts(tenantId, q, f);
  }

  async alert(tenantId: string, id: string): Promise<Alert> {
    const a = await this.rows.alert(tenantId, id);
    if (!a) throw new NotFound('alert', id);
    return a;
  }

  async notifications(
    tenantId: string,
    q: ResolvedListQuery,
    f: NotificationListQueryDto,
  ): Promise<Page<Notification> & { unreadCount: number; alerts: Map<string, Alert> }> {
    const page = await this.rows.notifications(tenantId, q, f);
    const unreadCount = await this.rows.unreadCount(tenantId);
    return { ...page, unreadCount, alerts: await this.alertsOf(tenantId, page.items) };
  }

  /** The alerts behind a page of notifications (billing notices have none), by id. */
  async alertsOf(tenantId: string, items: Notification[]): Promise<Map<string, Alert>> {
    const ids = items.filter((n) => n.event === 'firing' || n.event === 'resolved').map((n) => n.alertId);
    if (!ids.length) return new Map();
    const alerts = await this.rows.alertsById(tenantId, ids);
    return new Map(alerts.map((a) => [a.id, a]));
  }

  async markRead(tenantId: string, id: string): Promise<Notification> {
    const n = await this.rows.markRead(tenantId, id);
    if (!n) throw new NotFound('notification', id);
    return n;
  }

  markAllRead(tenantId: string): Promise<number> {
    return this.rows.markAllRead(tenantId);
  }

  deliveries(tenantId: string, q: ResolvedListQuery, f: DeliveryListQueryDto): Promise<Page<WebhookDelivery>> {
    return this.rows.deliveries(tenantId, q, f);
  }
}
