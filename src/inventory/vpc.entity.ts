import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { DataCenter } from './data-center.entity';

@Entity('vpcs')
@Index(['tenantId', 'name'])
export class Vpc {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column(RefColumn()) dataCenterId: string;
  @ManyToOne(() => DataCenter, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'data_center_id' }) dataCenter?: DataCenter;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 18 }) cidr: string;
  @CreatedAt() createdAt: Date;
}
