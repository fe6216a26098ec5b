import { Column, Entity, Index } from 'typeorm';
import { IdColumn, RefColumn } from '../database/columns';
import { AlertRule, ResourceType } from './alert-metrics';

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
