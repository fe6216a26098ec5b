import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row: the last evaluation period claimed, so several API replicas evaluate each period once. */
@Entity('alert_evaluator')
export class AlertEvaluatorClaim {
  @PrimaryColumn({ type: 'varchar', length: 16 }) id: string;
  @Column({ type: 'bigint' }) period: string;
  @Column({ type: 'varchar', length: 64 }) claimedBy: string;
  @Column({ type: 'timestamptz' }) claimedAt: Date;
}
