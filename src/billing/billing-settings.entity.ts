import { Column, Entity, PrimaryColumn } from 'typeorm';
import { UpdatedAt } from '../database/columns';

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
