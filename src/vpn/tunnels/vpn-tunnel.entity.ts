import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../../database/columns';
import { IkePolicy, IpsecPolicy } from '../../policy/policy';
import { InitiatorMode } from '../../strongswan/tunnel-model';
import { DpdOptions } from '../../policy/tunnel-options';
import { ConnectionState, ResourceState } from '../../common/states';
import { VpnGateway } from '../gateways/vpn-gateway.entity';
import { PeerGateway } from '../peers/peer-gateway.entity';

/** A (local subnet, remote subnet) pair of a tunnel and whether its CHILD_SA is installed. */
export interface PairState {
  local: string;
  remote: string;
  up: boolean;
}

@Entity('vpn_tunnels')
// The list's default order (newest first, then id) read from the index alone, however deep the page.
@Index(['tenantId', 'createdAt', 'id'])
// Trigram indexes for the list search (ILIKE '%q%'), created by migrations SearchIndexes (name) and
// TunnelIdSearchIndex (lower(id)): TypeORM cannot express the operator class. The id's is on lower(id),
// which the search names (`lower(t.id) ILIKE`), so that no lookup by id (`=`, `= ANY`, `IN`) can use it:
// pg_trgm's GIN also serves `=`, and an unanalysed table's planner took it over the primary key.
@Index('IDX_vpn_tunnels_name_trgm', { synchronize: false })
@Index('IDX_vpn_tunnels_id_lower_trgm', { synchronize: false })
export class VpnTunnel {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 256, default: '' }) remark: string;
  @Column(RefColumn()) @Index() gatewayId: string;
  @ManyToOne(() => VpnGateway, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'gateway_id' }) gateway?: VpnGateway;
  @Column(RefColumn()) @Index() peerId: string;
  @ManyToOne(() => PeerGateway, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'peer_id' }) peer?: PeerGateway;
  /** Subnet ids of the gateway's VPC, in the order the user gave them. */
  @Column({ type: 'varchar', array: true }) localSubnetIds: string[];
  /** Normalised remote CIDRs, in the order the user gave them. */
  @Column({ type: 'varchar', array: true }) remoteCidrs: string[];
  /** AES-256-GCM sealed (common/secret-box.ts); never selected by list queries. */
  @Column({ type: 'text', select: false }) pskSealed: string;
  @Column({ type: 'jsonb' }) ikePolicy: IkePolicy;
  @Column({ type: 'jsonb' }) ipsecPolicy: IpsecPolicy;
  /** response-only: the platform never initiates (always so for a 0.0.0.0 peer). */
  @Column({ type: 'varchar', length: 16, default: 'bidirectional' }) initiatorMode: InitiatorMode;
  /** Dead peer detection (policy/tunnel-options.ts); null (rows older than the option): the defaults. */
  @Column({ type: 'jsonb', nullable: true }) dpd: DpdOptions | null;
  @Column({ type: 'boolean', default: true }) ikeFragmentation: boolean;
  /** TCP MSS clamp in the gateway's namespace, in bytes; null = off. */
  @Column({ type: 'smallint', nullable: true }) tcpMssClamp: number | null;
  @Column({ type: 'varchar', length: 16, default: 'creating' }) resourceState: ResourceState;
  @Column({ type: 'varchar', length: 16, default: 'connecting' }) connectionState: ConnectionState;
  @Column({ type: 'varchar', length: 64, nullable: true }) failureCode: string | null;
  @Column({ type: 'varchar', length: 1024, nullable: true }) failureMessage: string | null;
  @Column({ type: 'smallint', nullable: true }) failurePhase: number | null;
  /** Failed tries in a row when the failure was last written. */
  @Column({ type: 'integer', nullable: true }) failureTries: number | null;
  /** When the failure was last seen (the latest failed try). */
  @Column({ type: 'timestamptz', nullable: true }) failureAt: Date | null;
  /** One CHILD_SA per subnet pair (IKEv1): which pairs are installed; null when not tracked. */
  @Column({ type: 'jsonb', nullable: true }) pairStates: PairState[] | null;
  /** Bumped by every edit of subnets or policies: the worker reconnects when it sees a newer one. */
  @Column({ type: 'integer', default: 1 }) configVersion: number;
  /** The configVersion charon last had loaded (null: never loaded). */
  @Column({ type: 'integer', nullable: true }) appliedVersion: number | null;
  @Column(RefColumn({ nullable: true })) alertTemplateId: string | null;
  @Column({ type: 'timestamptz', nullable: true }) connectedAt: Date | null;
  /** When it last stopped being connected: its routes stay for the hold-down after this. */
  @Column({ type: 'timestamptz', nullable: true }) disconnectedAt: Date | null;
  /** When the connection state (or its failure reason) last changed: the list's "since" column. */
  @Column({ type: 'timestamptz', default: () => 'now()' }) stateChangedAt: Date;
  @CreatedAt() createdAt: Date;
  @UpdatedAt() updatedAt: Date;
}
