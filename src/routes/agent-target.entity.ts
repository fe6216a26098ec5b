import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';
import { Instance } from '../inventory/instance.entity';
import { Vpc } from '../inventory/vpc.entity';

export const AGENT_TARGET_KINDS = ['instance', 'vpc_router'] as const;
export type AgentTargetKind = (typeof AGENT_TARGET_KINDS)[number];

/**
 * Something whose routing table the platform keeps: an instance (routes to remote subnets of the
 * tunnels serving its subnet) or a VPC's router (routes for subnets other than the gateway's own).
 * Its agent authenticates with a token (hash stored) and reports what it applied.
 */
@Entity('agent_targets')
@Index(['vpcId'])
export class AgentTarget {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column({ type: 'varchar', length: 16 }) kind: AgentTargetKind;
  @Column(RefColumn()) vpcId: string;
  @ManyToOne(() => Vpc, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'vpc_id' }) vpc?: Vpc;
  /** The instance's subnet; null for a VPC router. */
  @Column(RefColumn({ nullable: true })) subnetId: string | null;
  @Column(RefColumn({ nullable: true, unique: true })) instanceId: string | null;
  @ManyToOne(() => Instance, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'instance_id' }) instance?: Instance;
  @Index({ unique: true }) @Column({ type: 'char', length: 64, nullable: true }) tokenHash: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) tokenPrefix: string | null;
  @Column({ type: 'timestamptz', nullable: true }) tokenIssuedAt: Date | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) agentVersion: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastCheckInAt: Date | null;
  /** The route-set version the agent reported as fully applied. */
  @Column({ type: 'varchar', length: 32, nullable: true }) appliedVersion: string | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) lastError: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastReportAt: Date | null;
  @CreatedAt() createdAt: Date;
}
