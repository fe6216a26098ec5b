import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../database/columns';
import { AlertRule } from './alert-metrics';

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
