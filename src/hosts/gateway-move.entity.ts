import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const GATEWAY_MOVE_REASONS = ['lease_expired', 'drain'] as const;
export type GatewayMoveReason = (typeof GATEWAY_MOVE_REASONS)[number];

/**
 * A gateway moved from one host to another (a failover after a lost lease, or a drain): the
 * operator's failover count, the Prometheus counter and the "reconnected in N s" figure.
 */
@Entity('gateway_moves')
@Index(['gatewayId', 'movedAt'])
export class GatewayMove {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'varchar', length: 32 }) gatewayId: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) fromHostId: string | null;
  @Column({ type: 'varchar', length: 64 }) toHostId: string;
  @Column({ type: 'varchar', length: 16 }) reason: GatewayMoveReason;
  /** The epoch the move gave the gateway. */
  @Column({ type: 'integer' }) epoch: number;
  @Column({ type: 'timestamptz', default: () => 'now()' }) movedAt: Date;
  /** When every tunnel of the gateway the platform initiates was connected again (null: not yet, or none). */
  @Column({ type: 'timestamptz', nullable: true }) reconnectedAt: Date | null;
}
