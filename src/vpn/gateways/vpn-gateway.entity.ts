import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn, UpdatedAt } from '../../database/columns';
import { ExternalIp } from '../../inventory/external-ip.entity';
import { MachineType } from '../../inventory/machine-type.entity';
import { Subnet } from '../../inventory/subnet.entity';
import { Vpc } from '../../inventory/vpc.entity';
import { GatewayHost } from '../../hosts/gateway-host.entity';
import { ChargeType, GatewayState } from '../../common/states';

/**
 * What one gateway (one charon, kernel-libipsec, the default ESP aes128-sha1) carries on one core,
 * measured by bench/dataplane.ts (docs/operations.md, "Sizing a gateway"): the bandwidth every
 * gateway is sold with. Not an input of the API: nobody buys more than one charon carries
 * (docs/decisions.md, "The data plane and a gateway's bandwidth"). Migration 1796520000000 sets the column default.
 */
export const DEFAULT_GATEWAY_BANDWIDTH_MBPS = 300;

@Entity('vpn_gateways')
@Index(['tenantId', 'createdAt'])
// Trigram index for the searches (ILIKE '%q%'), created by migration ListIndexes: TypeORM cannot express the operator class.
@Index('IDX_vpn_gateways_name_trgm', { synchronize: false })
@Index(['subnetId', 'privateIp'], { unique: true })
export class VpnGateway {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 256, default: '' }) remark: string;
  @Column(RefColumn()) machineTypeId: string;
  @ManyToOne(() => MachineType, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'machine_type_id' }) machineType?: MachineType;
  @Column(RefColumn()) @Index() vpcId: string;
  @ManyToOne(() => Vpc, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'vpc_id' }) vpc?: Vpc;
  @Column(RefColumn()) subnetId: string;
  @ManyToOne(() => Subnet, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'subnet_id' }) subnet?: Subnet;
  @Column(RefColumn({ unique: true })) externalIpId: string;
  @ManyToOne(() => ExternalIp, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'external_ip_id' }) externalIp?: ExternalIp;
  /** The gateway's own address in its subnet: the next hop instances route remote subnets to. */
  @Column({ type: 'varchar', length: 15 }) privateIp: string;
  @Column({ type: 'varchar', length: 16 }) chargeType: ChargeType;
  @Column({ type: 'varchar', length: 16, default: 'creating' }) resourceState: GatewayState;
  /** Why the gateway is in `error` (or what it is waiting for), shown to the user. */
  @Column({ type: 'varchar', length: 512, nullable: true }) stateReason: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) hostId: string | null;
  @ManyToOne(() => GatewayHost, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'host_id' }) host?: GatewayHost;
  /**
   * The ownership epoch (fencing token): bumped on every move to another host. A host writes the
   * gateway's and its tunnels' state only under the epoch it claimed, so a late write from a
   * previous owner is ignored.
   */
  @Column({ type: 'integer', default: 0 }) hostEpoch: number;
  @Column(RefColumn({ nullable: true })) alertTemplateId: string | null;
  /** Outbound bandwidth the gateway is sold with (Mbit/s): the base of its utilisation metric. */
  @Column({ type: 'integer', default: DEFAULT_GATEWAY_BANDWIDTH_MBPS }) bandwidthMbps: number;
  /** Maintained under the gateway's row lock, so the 20-tunnel limit holds under concurrency. */
  @Column({ type: 'integer', default: 0 }) tunnelCount: number;
  @CreatedAt() createdAt: Date;
  @Column({ type: 'timestamptz', nullable: true }) @Index() expiresAt: Date | null;
  /** Billing: renew automatically before expiry (when the balance allows). */
  @Column({ type: 'boolean', default: false }) autoRenew: boolean;
  /** Billing: when it expired (state `expired`); it is released `retentionHours` later. */
  @Column({ type: 'timestamptz', nullable: true }) expiredAt: Date | null;
  @UpdatedAt() updatedAt: Date;
}
