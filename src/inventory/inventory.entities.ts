import { Check, Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { CreatedAt, IdColumn, RefColumn } from '../database/columns';

// What the cloud already has. Operators register it; tenants read their own part of it.

@Entity('data_centers')
export class DataCenter {
  @IdColumn() id: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name: string;
  @Column({ type: 'varchar', length: 64 }) region: string;
  @CreatedAt() createdAt: Date;
}

@Entity('machine_types')
export class MachineType {
  @IdColumn() id: string;
  @Column({ type: 'varchar', length: 64, unique: true }) name: string;
  @Column({ type: 'varchar', length: 32 }) architecture: string;
  @CreatedAt() createdAt: Date;
}

@Entity('vpcs')
@Index(['tenantId', 'name'])
export class Vpc {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column(RefColumn()) dataCenterId: string;
  @ManyToOne(() => DataCenter, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'data_center_id' }) dataCenter?: DataCenter;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 18 }) cidr: string;
  @CreatedAt() createdAt: Date;
}

@Entity('subnets')
@Index(['vpcId', 'cidr'], { unique: true })
@Check('CHK_subnets_vni_range', '"vni" BETWEEN 1 AND 16777215')
export class Subnet {
  @IdColumn() id: string;
  @Column(RefColumn()) tenantId: string;
  @Column(RefColumn()) vpcId: string;
  @ManyToOne(() => Vpc, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'vpc_id' }) vpc?: Vpc;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 18 }) cidr: string;
  /** The VXLAN segment (VNI) that carries this subnet on the hosts' fabric; set by operators, read by the vxlan network driver. */
  @Column({ type: 'integer', nullable: true, unique: true }) vni: number | null;
  @CreatedAt() createdAt: Date;
}

@Entity('external_ips')
// Trigram index for the searches by address (ILIKE '%q%'), created by migration ListIndexes.
@Index('IDX_external_ips_address_trgm', { synchronize: false })
export class ExternalIp {
  @IdColumn() id: string;
  @Column(RefColumn()) @Index() tenantId: string;
  @ManyToOne(() => Tenant, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'tenant_id' }) tenant?: Tenant;
  @Column(RefColumn()) dataCenterId: string;
  @ManyToOne(() => DataCenter, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'data_center_id' }) dataCenter?: DataCenter;
  @Column({ type: 'varchar', length: 15, unique: true }) address: string;
  /** Prefix length of the public segment the address lives on (for the gateway's interface). */
  @Column({ type: 'smallint', default: 24 }) prefixLength: number;
  /** The upstream router on that segment. */
  @Column({ type: 'varchar', length: 15, nullable: true }) routerIp: string | null;
  /** The VPN gateway holding it; unique so one address never serves two gateways. */
  @Column(RefColumn({ nullable: true, unique: true })) boundTo: string | null;
  @CreatedAt() createdAt: Date;
}

@Entity('instances')
@Index(['subnetId', 'privateIp'], { unique: true })
export class Instance {
  @IdColumn() id: string;
  @Column(RefColumn()) @Index() tenantId: string;
  @Column(RefColumn()) subnetId: string;
  @ManyToOne(() => Subnet, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'subnet_id' }) subnet?: Subnet;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 15 }) privateIp: string;
  @CreatedAt() createdAt: Date;
}
