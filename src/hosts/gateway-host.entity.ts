import { Column, Entity } from 'typeorm';
import { CreatedAt } from '../database/columns';

/**
 * A machine running a worker. Its liveness is a lease in PostgreSQL: the worker renews
 * `leaseExpiresAt` every second; once it is in the past (by the database's clock) live hosts
 * claim the host's gateways. Gateways are placed only on hosts with a valid lease, not cordoned.
 */
@Entity('gateway_hosts')
export class GatewayHost {
  @Column({ type: 'varchar', length: 64, primary: true }) id: string;
  @Column({ type: 'varchar', length: 128 }) hostname: string;
  @Column({ type: 'integer', default: 50 }) capacity: number;
  @Column({ type: 'timestamptz' }) lastSeenAt: Date;
  /** Until when the host may serve its gateways (database clock); null: never held a lease. */
  @Column({ type: 'timestamptz', nullable: true }) leaseExpiresAt: Date | null;
  /** The TTL the worker renews its lease with (HOST_LEASE_TTL_MS). */
  @Column({ type: 'integer', nullable: true }) leaseTtlMs: number | null;
  /** Cordoned by an operator: no new gateways (its own keep running). */
  @Column({ type: 'boolean', default: false }) cordoned: boolean;
  /** Draining since: its gateways move to other hosts one at a time (implies cordoned). */
  @Column({ type: 'timestamptz', nullable: true }) drainStartedAt: Date | null;
  @CreatedAt() createdAt: Date;
}
