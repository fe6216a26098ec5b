import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../../database/columns';

@Entity('peer_gateways')
@Index(['tenantId', 'createdAt'])
// Trigram indexes for the searches (ILIKE '%q%'), created by migration ListIndexes: TypeORM cannot express the operator class.
@Index('IDX_peer_gateways_name_trgm', { synchronize: false })
@Index('IDX_peer_gateways_ip_address_trgm', { synchronize: false })
export class PeerGateway {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 256, default: '' }) remark: string;
  /** Public IPv4 of the remote device; 0.0.0.0 = any address (the remote must initiate). */
  @Column({ type: 'varchar', length: 15 }) ipAddress: string;
  @Column({ type: 'integer', default: 0 }) tunnelCount: number;
  @CreatedAt() createdAt: Date;
  @UpdatedAt() updatedAt: Date;
}
