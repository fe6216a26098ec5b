import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, MONEY, RefColumn } from '../database/columns';
import { ChargeType } from '../common/states';

export const ORDER_KINDS = ['purchase', 'renewal', 'auto_renewal'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** One purchase or renewal of one gateway (quantity is always 1), paid by one ledger charge. */
@Entity('orders')
@Index(['tenantId', 'createdAt'])
@Index(['gatewayId'])
export class Order {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 16 }) kind: OrderKind;
  /** No foreign key: orders outlive the gateway (released or deleted). */
  @Column(RefColumn()) gatewayId: string;
  @Column({ type: 'varchar', length: 64 }) gatewayName: string;
  @Column(RefColumn()) machineTypeId: string;
  @Column({ type: 'varchar', length: 16 }) chargeType: ChargeType;
  @Column({ type: 'integer', default: 1 }) quantity: number;
  @Column({ type: 'integer' }) period: number;
  @Column(MONEY) unitPrice: number;
  @Column(MONEY) amount: number;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @Column({ ...MONEY, default: 0 }) refundedAmount: number;
  @Column({ type: 'timestamptz' }) periodStart: Date;
  @Column({ type: 'timestamptz' }) periodEnd: Date;
  @CreatedAt() createdAt: Date;
}
