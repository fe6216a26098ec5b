import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RefColumn } from '../../database/columns';
import { Subnet } from '../../inventory/subnet.entity';
import { Vpc } from '../../inventory/vpc.entity';
import { VpnTunnel } from './vpn-tunnel.entity';

/**
 * One row per (local subnet, remote CIDR) of a tunnel. The primary key makes the spec's rule
 * "a pair exists in only one tunnel of a VPC" hold even when two creates race.
 */
@Entity('vpn_tunnel_pairs')
export class TunnelPair {
  @PrimaryColumn({ type: 'varchar', length: 32 }) vpcId: string;
  @ManyToOne(() => Vpc, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'vpc_id' }) vpc?: Vpc;
  @PrimaryColumn({ type: 'varchar', length: 32 }) localSubnetId: string;
  @ManyToOne(() => Subnet, { onDelete: 'RESTRICT' }) @JoinColumn({ name: 'local_subnet_id' }) localSubnet?: Subnet;
  @PrimaryColumn({ type: 'varchar', length: 18 }) remoteCidr: string;
  @Column(RefColumn()) @Index() tunnelId: string;
  @ManyToOne(() => VpnTunnel, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'tunnel_id' }) tunnel?: VpnTunnel;
}
