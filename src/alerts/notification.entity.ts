import { Column, Entity, Index } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { AlertEvent } from './alert-evaluation';
import { ResourceType } from './alert-metrics';

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
