import { Check, Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { Vpc } from './vpc.entity';

@Entity('subnets')
@Index(['vpcId', 'cidr'], { unique: true })
@Check('CHK_subnets_vni_range', '"vni" BETWEEN 1 AND 16777215')
export class Subnet {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) vpcId: string;
  @ManyToOne(() => Vpc, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'vpc_id' }) vpc?: Vpc;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 18 }) cidr: string;
  /** The VXLAN segment (VNI) that carries this subnet on the hosts' fabric; set by operators, read by the vxlan network driver. */
  @Column({ type: 'integer', nullable: true, unique: true }) vni: number | null;
  @CreatedAt() createdAt: Date;
}
