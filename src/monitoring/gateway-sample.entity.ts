import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('gateway_samples')
@Index(['tenantId', 'at'])
export class GatewaySample {
  @PrimaryColumn({ type: 'varchar', length: 32 }) gatewayId: string;
  @PrimaryColumn({ type: 'timestamptz' }) at: Date;
  @Column({ type: 'varchar', length: 32 }) tenantId: string;
  /** The external NIC (eth0) counters and rates. */
  @Column({ type: 'bigint' }) rxBytes: string;
  @Column({ type: 'bigint' }) txBytes: string;
  @Column({ type: 'bigint' }) rxPackets: string;
  @Column({ type: 'bigint' }) txPackets: string;
  @Column({ type: 'double precision' }) rxBps: number;
  @Column({ type: 'double precision' }) txBps: number;
  @Column({ type: 'double precision' }) rxPps: number;
  @Column({ type: 'double precision' }) txPps: number;
  /** Outbound bandwidth / the gateway's bandwidth, 0..1. */
  @Column({ type: 'double precision' }) txUtilization: number;
}
