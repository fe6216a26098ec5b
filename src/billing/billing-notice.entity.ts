import { Column, Entity, Index } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';

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
