import { DataSource, EntityManager, In, QueryFailedError } from 'typeorm';
import { pageQuery } from '../common/list.queries';
import { Page, ResolvedListQuery } from '../common/list-query';
import { managerOf, returnedRows } from '../database/manager';
import { Alert } from './alert.entity';
import { AlertTemplate } from './alert-template.entity';
import { Notification } from './notification.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { AlertListQueryDto, DeliveryListQueryDto, NotificationListQueryDto } from './alerts.dto';

export const ALERT_SORT = { firedAt: 'a.fired_at', resolvedAt: 'a.resolved_at' };
export const NOTIFICATION_SORT = { createdAt: 'n.created_at' };
export const DELIVERY_SORT = { createdAt: 'd.created_at' };
export const TEMPLATE_SORT = { createdAt: 'a.created_at', name: 'a.name', updatedAt: 'a.updated_at' };

export const isUniqueViolation = (err: unknown) => err instanceof QueryFailedError && (err as QueryFailedError & { code?: string }).code === '23505';

/** Alert history, in-console notifications and webhook deliveries, tenant-scoped. */
export class AlertHistoryQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  alerts(tenantId: string, q: ResolvedListQuery, f: AlertListQueryDto): Promise<Page<Alert>> {
    const qb = this.m.getRepository(Alert).createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    if (f.resourceId) qb.andWhere('a.resource_id = :resourceId', { resourceId: f.resourceId });
    if (f.resourceType) qb.andWhere('a.resource_type = :resourceType', { resourceType: f.resourceType });
    if (f.state) qb.andWhere('a.state = :state', { state: f.state });
    if (f.templateId) qb.andWhere('a.template_id = :templateId', { templateId: f.templateId });
    return pageQuery(qb, q, ['a.resource_name', 'a.resource_id', 'a.template_name', 'a.id']);
  }

  alert(tenantId: string, id: string): Promise<Alert | null> {
    return this.m.getRepository(Alert).findOne({ where: { id, tenantId } });
  }

  alertsById(tenantId: string, ids: string[]): Promise<Alert[]> {
    return this.m.getRepository(Alert).find({ where: { tenantId, id: In(ids) } });
  }

  notifications(tenantId: string, q: ResolvedListQuery, f: NotificationListQueryDto): Promise<Page<Notification>> {
    const qb = this.m.getRepository(Notification).createQueryBuilder('n').where('n.tenant_id = :tenantId', { tenantId });
    if (f.unread !== undefined) qb.andWhere('n.read = :read', { read: f.unread !== 'true' });
    if (f.resourceId) qb.andWhere('n.resource_id = :resourceId', { resourceId: f.resourceId });
    return pageQuery(qb, q, ['n.message', 'n.resource_id']);
  }

  unreadCount(tenantId: string): Promise<number> {
    return this.m.getRepository(Notification).count({ where: { tenantId, read: false } });
  }

  /** Marks the notification read (idempotent: a read one keeps its first readAt); null when absent. */
  async markRead(tenantId: string, id: string): Promise<Notification | null> {
    const repo = this.m.getRepository(Notification);
    await repo.update({ id, tenantId, read: false }, { read: true, readAt: new Date() });
    return repo.findOne({ where: { id, tenantId } });
  }

  async markAllRead(tenantId: string): Promise<number> {
    const result = await this.m.getRepository(Notification).update({ tenantId, read: false }, { read: true, readAt: new Date() });
    return result.affected ?? 0;
  }

  deliveries(tenantId: string, q: ResolvedListQuery, f: DeliveryListQueryDto): Promise<Page<WebhookDelivery>> {
    const qb = this.m.getRepository(WebhookDelivery).createQueryBuilder('d').where('d.tenant_id = :tenantId', { tenantId });
    if (f.alertId) qb.andWhere('d.alert_id = :alertId', { alertId: f.alertId });
    if (f.status) qb.andWhere('d.status = :status', { status: f.status });
    return pageQuery(qb, q, ['d.url', 'd.id', 'd.alert_id']);
  }
}

/** A tenant's alert templates, and the gateways and tunnels bound to them. */
export class AlertTemplateQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  list(tenantId: string, q: ResolvedListQuery): Promise<Page<AlertTemplate>> {
    const qb = this.m.getRepository(AlertTemplate).createQueryBuilder('a').where('a.tenant_id = :tenantId', { tenantId });
    return pageQuery(qb, q, ['a.name', 'a.id', 'a.description']);
  }

  find(tenantId: string, id: string): Promise<AlertTemplate | null> {
    return this.m.getRepository(AlertTemplate).findOne({ where: { id, tenantId } });
  }

  nameTaken(tenantId: string, name: string): Promise<boolean> {
    return this.m.exists(AlertTemplate, { where: { tenantId, name } });
  }

  /** The tenant's default template stops being the default (another becomes it in the same transaction). */
  async clearDefault(tenantId: string): Promise<void> {
    await this.m.update(AlertTemplate, { tenantId, isDefault: true }, { isDefault: false });
  }

  async insert(row: Pick<AlertTemplate, 'id' | 'tenantId' | 'name' | 'description' | 'isDefault' | 'rules' | 'channels'>): Promise<void> {
    await this.m.insert(AlertTemplate, row);
  }

  async update(id: string, patch: Partial<AlertTemplate>): Promise<void> {
    await this.m.update(AlertTemplate, { id }, patch);
  }

  async delete(id: string): Promise<void> {
    await this.m.delete(AlertTemplate, { id });
  }

  lock(tenantId: string, id: string, mode: 'pessimistic_write' | 'pessimistic_read'): Promise<AlertTemplate | null> {
    return this.m.createQueryBuilder(AlertTemplate, 'a').setLock(mode).where('a.id = :id AND a.tenant_id = :tenantId', { id, tenantId }).getOne();
  }

  /** The tenant's gateways and tunnels (id, name, in id order) bound to the template. */
  async boundTo(tenantId: string, templateId: string): Promise<{ gateways: { id: string; name: string }[]; tunnels: { id: string; name: string }[] }> {
    const gateways: { id: string; name: string }[] = await this.m.query(
      'SELECT id, name FROM vpn_gateways WHERE tenant_id = $1 AND alert_template_id = $2 ORDER BY id ASC',
      [tenantId, templateId],
    );
    const tunnels: { id: string; name: string }[] = await this.m.query(
      'SELECT id, name FROM vpn_tunnels WHERE tenant_id = $1 AND alert_template_id = $2 ORDER BY id ASC',
      [tenantId, templateId],
    );
    return { gateways, tunnels };
  }

  /**
   * Binds a tenant's gateway or tunnel to the template (null unbinds); false when there is no such
   * resource. updated_at moves as TypeORM's update moves it (the console's change feed watches it).
   */
  async bind(tenantId: string, kind: 'gateway' | 'tunnel', resourceId: string, templateId: string | null): Promise<boolean> {
    const table = kind === 'gateway' ? 'vpn_gateways' : 'vpn_tunnels';
    const rows: { id: string }[] = await this.m.query(
      `UPDATE ${table} SET alert_template_id = $3, updated_at = CURRENT_TIMESTAMP WHERE id = $1 AND tenant_id = $2 RETURNING id`,
      [resourceId, tenantId, templateId],
    );
    return returnedRows(rows).length > 0;
  }
}

/** A webhook delivery claimed for one attempt (columns as stored). */
export interface ClaimedDelivery {
  id: string;
  url: string;
  body: string;
  event: string;
  secret_sealed: string;
  attempts: number;
  max_attempts: number;
}

/** The webhook sender's queue in `webhook_deliveries`. */
export class WebhookDeliveryQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /**
   * Claims up to `limit` due deliveries (FOR UPDATE SKIP LOCKED), each with one more attempt and
   * its next attempt pushed to `leaseUntil` (the lease).
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const [rows] = (await this.m.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2
        WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, url, body, event, secret_sealed, attempts, max_attempts`,
      [now, leaseUntil],
    )) as [ClaimedDelivery[], number];
    return rows;
  }

  /** An attempt's outcome; a null status keeps the stored one (still pending). */
  async recordAttempt(
    id: string,
    o: { status: string | null; deliveredAt: Date | null; nextAttemptAt: Date | null; lastStatusCode: number | null; lastError: string | null },
  ): Promise<void> {
    await this.m.query(
      `UPDATE webhook_deliveries SET status = COALESCE($2, status), delivered_at = $3, next_attempt_at = $4, last_status_code = $5, last_error = $6 WHERE id = $1`,
      [id, o.status, o.deliveredAt, o.nextAttemptAt, o.lastStatusCode, o.lastError],
    );
  }
}

/** The alert evaluator's claim on a period (one replica evaluates each). */
export class AlertEvaluatorQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** True when this replica claimed `period` (no replica claimed it or a later one before). */
  async claimPeriod(period: number, replica: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.m.query(
      `INSERT INTO alert_evaluator (id, period, claimed_by, claimed_at) VALUES ('main', $1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET period = EXCLUDED.period, claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at
       WHERE alert_evaluator.period < EXCLUDED.period
       RETURNING id`,
      [period, replica, now],
    );
    return rows.length === 1;
  }
}
