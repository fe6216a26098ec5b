import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { DataCenter } from './data-center.entity';

@Entity('external_ips')
// Trigram index for the searches by address (ILIKE '%q%'), created by migration ListIndexes.
@Index('IDX_external_ips_address_trgm', { synchronize: false })
export class ExternalIp {
  @IdColumn() id: string;
  @Column(RefColumn()) @Index() tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column(RefColumn()) dataCenterId: string;
  @ManyToOne(() => DataCenter, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'data_center_id' }) dataCenter?: DataCenter;
  @Column({ type: 'varchar', length: 15, unique: true }) address: string;
  /** Prefix length of the public segment the address lives on (for the gateway's interface). */
  @Column({ type: 'smallint', default: 24 }) prefixLength: number;
  /** The upstream router on that segment. */
  @Column({ type: 'varchar', length: 15, nullable: true }) routerIp: string | null;
  /** The VPN gateway holding it; unique so one address never serves two gateways. */
  @Column(RefColumn({ nullable: true, unique: true })) boundTo: string | null;
  @CreatedAt() createdAt: Date;
}
