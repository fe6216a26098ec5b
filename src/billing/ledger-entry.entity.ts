import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, MONEY, RefColumn } from '../database/columns';

export const LEDGER_KINDS = ['top_up', 'charge', 'refund'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/**
 * Append-only (a trigger refuses UPDATE and DELETE): top-ups (+), charges (-), refunds (+), each
 * with the balance it left. The idempotency key is unique: a job that runs twice charges once.
 */
@Entity('ledger_entries')
@Index(['tenantId', 'createdAt'])
export class LedgerEntry {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 16 }) kind: LedgerKind;
  /** Signed: what the entry did to the balance. */
  @Column(MONEY) amount: number;
  @Column(MONEY) balanceAfter: number;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @Column(RefColumn({ nullable: true })) orderId: string | null;
  @Column(RefColumn({ nullable: true })) gatewayId: string | null;
  @Column({ type: 'varchar', length: 256, default: '' }) description: string;
  @Column({ type: 'varchar', length: 128, nullable: true, unique: true }) idempotencyKey: string | null;
  @CreatedAt() createdAt: Date;
}
