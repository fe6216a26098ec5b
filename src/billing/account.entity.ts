import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, MONEY, UpdatedAt } from '../database/columns';

/** A tenant's balance. Every money movement locks this row (SELECT ... FOR UPDATE) first. */
@Entity('accounts')
export class Account {
  @PrimaryColumn({ type: 'varchar', length: 32 }) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column(MONEY) balance: number;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @CreatedAt() createdAt: Date;
  @UpdatedAt() updatedAt: Date;
}
