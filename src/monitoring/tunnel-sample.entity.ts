import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

// Monitoring samples, one row per resource per collection period (10 s by default). Counters are
// what charon / the kernel reported; rates are derived by the collector, never negative (a counter
// that went backwards — rekey, charon restart — restarts the rate from zero, it does not spike).
// Migration MonitoringTwo makes both primary keys covering (INCLUDE the charted columns), which
// TypeORM cannot express: see docs/monitoring.md.

@Entity('tunnel_samples')
@Index(['tenantId', 'at'])
export class TunnelSample {
  @PrimaryColumn({ type: 'varchar', length: 32 }) tunnelId: string;
  @PrimaryColumn({ type: 'timestamptz' }) at: Date;
  @Column({ type: 'varchar', length: 32 }) tenantId: string;
  @Column({ type: 'varchar', length: 32 }) gatewayId: string;
  /** 1 when every CHILD_SA of the tunnel is INSTALLED, else 0. */
  @Column({ type: 'smallint' }) health: number;
  @Column({ type: 'bigint' }) bytesIn: string;
  @Column({ type: 'bigint' }) bytesOut: string;
  @Column({ type: 'bigint' }) packetsIn: string;
  @Column({ type: 'bigint' }) packetsOut: string;
  /** Bits per second over the period. */
  @Column({ type: 'double precision' }) bpsIn: number;
  @Column({ type: 'double precision' }) bpsOut: number;
  @Column({ type: 'double precision' }) ppsIn: number;
  @Column({ type: 'double precision' }) ppsOut: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) ikeState: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) childState: string | null;
}
