import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { Tenant } from './tenant.entity';

export type Role = 'admin' | 'tenant';

@Entity('api_keys')
export class ApiKey {
  @IdColumn() id: string;
  @Column(RefColumn({ nullable: true })) tenantId: string | null; // null for operator keys
  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  @Column({ type: 'varchar', length: 64 }) name: string;
  /** SHA-256 of the key: the key itself is shown once and never stored. */
  @Index({ unique: true }) @Column({ type: 'char', length: 64 }) keyHash: string;
  /** The first characters, so an operator can tell keys apart. */
  @Column({ type: 'varchar', length: 16 }) keyPrefix: string;
  @CreatedAt() createdAt: Date;
  @Column({ type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
