import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../database/columns';
import { AlertEvent, AlertStatus } from './alert-evaluation';
import { AlertRule, ResourceType } from './alert-metrics';

export const ALERT_ID_PREFIX = { template: 'alt', channel: 'chn', alert: 'alert', notification: 'ntf', delivery: 'dlv' } as const;

/** A channel as stored: a webhook's secret is sealed (common/secret-box.ts) and never shown. */
export type StoredChannel = { id: string; type: 'console' } | { id: string; type: 'webhook'; url: string; secretSealed: string };

@Entity('alert_templates')
@Index(['tenantId', 'name'], { unique: true })
// One default template per tenant, also when two first requests race to create it.
@Index(['tenantId'], { unique: true, where: '"is_default"' })
export class AlertTemplate {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 256, default: '' }) description: string;
  @Column({ type: 'boolean', default: false }) isDefault: boolean;
  @Column({ type: 'jsonb' }) rules: AlertRule[];
  @Column({ type: 'jsonb' }) channels: StoredChannel[];
  @CreatedAt() createdAt: Date;
  @UpdatedAt() updatedAt: Date;
}

/** Where one rule of a template stands on one bound resource. */
@Entity('alert_states')
export class AlertState {
  @PrimaryColumn({ type: 'varchar', length: 32 }) resourceId: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) templateId: string;
  @PrimaryColumn({ type: 'varchar', length: 128 }) ruleKey: string;
  @Column(RefColumn()) tenantId: string;
  @Column({ type: 'varchar', length: 16 }) resourceType: ResourceType;
  @Column({ type: 'varchar', length: 16, default: 'ok' }) status: AlertStatus;
  /** Consecutive breaching periods. */
  @Column({ type: 'integer', default: 0 }) breaches: number;
  @Column({ type: 'double precision', nullable: true }) lastValue: number | null;
  /** The evaluation period that last wrote this row: a period is applied at most once. */
  @Column({ type: 'bigint' }) lastPeriod: string;
  /** The open (firing) alert of this rule and resource. */
  @Column(RefColumn({ nullable: true })) alertId: string | null;
  @UpdatedAt() updatedAt: Date;
}

/** Alert history: one row per incident, firing until resolved. */
@Entity('alerts')
@Index(['tenantId', 'firedAt'])
@Index(['resourceId', 'firedAt'])
export class Alert {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) templateId: string;
  @Column({ type: 'varchar', length: 64 }) templateName: string;
  @Column({ type: 'jsonb' }) rule: AlertRule;
  @Column({ type: 'varchar', length: 16 }) resourceType: ResourceType;
  @Column(RefColumn()) resourceId: string;
  @Column({ type: 'varchar', length: 64 }) resourceName: string;
  @Column({ type: 'varchar', length: 16 }) state: 'firing' | 'resolved';
  /** recovered: the metric came back; cleared: the rule, binding or resource went away. */
  @Column({ type: 'varchar', length: 16, nullable: true }) resolution: 'recovered' | 'cleared' | null;
  @Column({ type: 'double precision' }) value: number;
  @Column({ type: 'double precision', nullable: true }) resolvedValue: number | null;
  @Column({ type: 'timestamptz' }) firedAt: Date;
  @Column({ type: 'timestamptz', nullable: true }) resolvedAt: Date | null;
}

/** In-console notification (the template's console channel). */
@Entity('notifications')
@Index(['tenantId', 'createdAt'])
export class Notification {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) alertId: string;
  @Column({ type: 'varchar', length: 16 }) event: AlertEvent;
  @Column({ type: 'varchar', length: 16 }) resourceType: ResourceType;
  @Column(RefColumn()) resourceId: string;
  @Column({ type: 'varchar', length: 512 }) message: string;
  @Column({ type: 'boolean', default: false }) read: boolean;
  @Column({ type: 'timestamptz', nullable: true }) readAt: Date | null;
  @CreatedAt() createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One webhook notification and its attempts: the queue the sender drains (outbox). */
@Entity('webhook_deliveries')
@Index(['status', 'nextAttemptAt'])
@Index(['tenantId', 'createdAt'])
export class WebhookDelivery {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) alertId: string;
  @Column(RefColumn()) templateId: string;
  @Column(RefColumn()) channelId: string;
  @Column({ type: 'varchar', length: 16 }) event: AlertEvent;
  @Column({ type: 'varchar', length: 2048 }) url: string;
  /** The exact bytes sent (and signed) on every attempt. */
  @Column({ type: 'text' }) body: string;
  /** The channel's secret at the time of the event, sealed; never selected by lists. */
  @Column({ type: 'text', select: false }) secretSealed: string;
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status: DeliveryStatus;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ type: 'integer' }) maxAttempts: number;
  /** When the next attempt is due (pending), or until when the current attempt's claim holds. */
  @Column({ type: 'timestamptz', nullable: true }) nextAttemptAt: Date | null;
  @Column({ type: 'integer', nullable: true }) lastStatusCode: number | null;
  @Column({ type: 'varchar', length: 512, nullable: true }) lastError: string | null;
  @CreatedAt() createdAt: Date;
  @Column({ type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
}

/** One row: the last evaluation period claimed, so several API replicas evaluate each period once. */
@Entity('alert_evaluator')
export class AlertEvaluatorClaim {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id: string;
  @Column({ type: 'bigint' }) period: string;
  @Column({ type: 'varchar', length: 64 }) claimedBy: string;
  @Column({ type: 'timestamptz' }) claimedAt: Date;
}

export const ALERT_ENTITIES = [AlertTemplate, AlertState, Alert, Notification, WebhookDelivery, AlertEvaluatorClaim];
