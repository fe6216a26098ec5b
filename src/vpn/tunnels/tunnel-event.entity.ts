import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { VpnTunnel } from './vpn-tunnel.entity';

export const TUNNEL_EVENT_KINDS = ['attempt', 'connected', 'down', 'rekey', 'config', 'deleted', 'failover'] as const;
export type TunnelEventKind = (typeof TUNNEL_EVENT_KINDS)[number];

/**
 * The connection log of a tunnel: each negotiation attempt with its result, reason and the lines
 * charon printed, plus outages, rekeys and configuration changes (the console's "connection logs").
 */
@Entity('tunnel_events')
@Index(['tunnelId', 'id'])
export class TunnelEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'varchar', length: 32 }) tunnelId: string;
  @ManyToOne(() => VpnTunnel, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'tunnel_id' }) tunnel?: VpnTunnel;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
  @Column({ type: 'varchar', length: 16 }) kind: TunnelEventKind;
  /** 'success' | 'failure' for attempts; null otherwise. */
  @Column({ type: 'varchar', length: 16, nullable: true }) result: string | null;
  @Column({ type: 'smallint', nullable: true }) phase: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) reasonCode: string | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) message: string | null;
  @Column({ type: 'integer', nullable: true }) configVersion: number | null;
  /** charon's log lines for this attempt (never containing the PSK: charon does not log it). */
  @Column({ type: 'text', array: true, default: () => "'{}'" }) lines: string[];
}
