import { Column, Entity, PrimaryColumn } from 'typeorm';
import { RefColumn, UpdatedAt } from '../database/columns';
import { AlertStatus } from './alert-evaluation';
import { ResourceType } from './alert-metrics';

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
