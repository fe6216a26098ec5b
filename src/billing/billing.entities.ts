import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../database/columns';
import { MachineType } from '../inventory/inventory.entities';
import { ChargeType } from '../common/states';

// Money is an integer number of minor units (fen, cents) with its ISO 4217 currency, stored as
// bigint: never a float. pg returns bigint as a string; the transformer makes it a JS number
// (exact up to 2^53 minor units, far beyond any balance this product holds).
const MONEY = { type: 'bigint' as const, transformer: { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) } };

export const BILLING_ID_PREFIX = { order: 'ord', ledger: 'led', notice: 'bnt' } as const;

export const LEDGER_KINDS = ['top_up', 'charge', 'refund'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export const ORDER_KINDS = ['purchase', 'renewal', 'auto_renewal'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** The operator's price list: one unit (hour, month, year) of a machine type under a charge type. */
@Entity('prices')
export class Price {
  @PrimaryColumn({ type: 'varchar', length: 32 }) machineTypeId: string;
  @ManyToOne(() => MachineType, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'machine_type_id' }) machineType?: MachineType;
  @PrimaryColumn({ type: 'varchar', length: 16 }) chargeType: ChargeType;
  @Column(MONEY) unitPrice: number;
  @Column({ type: 'varchar', length: 3 }) currency: string;
  @UpdatedAt() updatedAt: Date;
}

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

/** The operator's billing settings: one row, id 'main'. */
@Entity('billing_settings')
export class BillingSettings {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id: string;
  /** How long an expired gateway is kept (stopped) before it is released. */
  @Column({ type: 'integer', default: 168 }) retentionHours: number;
  /** "Expires soon" notices go out this long before expiry. */
  @Column({ type: 'integer', default: 24 }) noticeLeadHours: number;
  /** Auto-renewal is charged this long before expiry. */
  @Column({ type: 'integer', default: 10 }) autoRenewLeadMinutes: number;
  /** How often each API process runs the sweep; 0 = never on its own (POST /billing/sweep only). */
  @Column({ type: 'integer', default: 60 }) sweepIntervalSeconds: number;
  /** Currency of new accounts. */
  @Column({ type: 'varchar', length: 3, default: 'CNY' }) currency: string;
  @UpdatedAt() updatedAt: Date;
}

export const NOTICE_KINDS = ['expiring', 'expired', 'renew_failed', 'renewed', 'released'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** One billing notice per gateway, kind and billing period (its expiry): sent once, whoever sweeps. */
@Entity('billing_notices')
@Index(['gatewayId', 'kind', 'expiresAt'], { unique: true })
export class BillingNotice {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) gatewayId: string;
  @Column({ type: 'varchar', length: 16 }) kind: NoticeKind;
  @Column({ type: 'timestamptz' }) expiresAt: Date;
  @Column({ type: 'varchar', length: 512 }) message: string;
  @CreatedAt() createdAt: Date;
}

export const BILLING_ENTITIES = [Price, Account, LedgerEntry, Order, BillingSettings, BillingNotice];
