import { Column, Entity, Index } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { AlertEvent } from './alert-evaluation';

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
