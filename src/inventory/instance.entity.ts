import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { Subnet } from './subnet.entity';

@Entity('instances')
@Index(['subnetId', 'privateIp'], { unique: true })
export class Instance {
  @IdColumn() id: string;
  @Column(RefColumn()) @Index() tenantId: string;
  @Column(RefColumn()) subnetId: string;
  @ManyToOne(() => Subnet, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'subnet_id' }) subnet?: Subnet;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 15 }) privateIp: string;
  @CreatedAt() createdAt: Date;
}
