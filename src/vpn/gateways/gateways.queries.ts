import { DataSource, EntityManager, In } from 'typeorm';
import { pageQuery } from '../../common/list.queries';
import { managerOf } from '../../database/manager';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { keysetRawRows } from '../../exports/keyset.queries';
import type { GatewayExportRow } from '../vpn-sheets';
import { ExternalIp } from '../../inventory/external-ip.entity';
import { Instance } from '../../inventory/instance.entity';
import { MachineType } from '../../inventory/machine-type.entity';
import { Subnet } from '../../inventory/subnet.entity';
import { Vpc } from '../../inventory/vpc.entity';
import { VpnTunnel } from '../tunnels/vpn-tunnel.entity';
import { GatewayListQueryDto } from './gateway.dto';
import { VpnGateway } from './vpn-gateway.entity';

export const GATEWAY_SORT = { createdAt: 'g.created_at', name: 'g.name', expiresAt: 'g.expires_at', tunnelCount: 'g.tunnel_count' };
const GATEWAY_SEARCH = ['g.name', 'g.id', 'eip.address', 'g.private_ip', 'vpc.name'];
type GatewayFilters = Pick<GatewayListQueryDto, 'vpcId' | 'resourceState'>;

/** What GatewaysService reads and writes: the SQL of gateways and the locks a purchase and a delete take. */
/** A row of gateway_moves as the gateway's log reads it (secs: moved -> every tunnel connected again). */
export interface GatewayMoveRow {
  id: string;
  moved_at: Date;
  reason: string;
  from_host_id: string | null;
  to_host_id: string;
  reconnected_at: Date | null;
  secs: number | null;
}

export class GatewayQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** The gateway's moves (its log), newest first, and how many match the filters. */
  async moves(
    gatewayId: string,
    f: { reason?: 'drain' | 'lease_expired'; from?: Date | null; to?: Date | null },
    offset: number,
    limit: number,
  ): Promise<{ rows: GatewayMoveRow[]; total: number }> {
    const params: unknown[] = [gatewayId];
    const where = ['gateway_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.reason) add('reason = ?', f.reason);
    if (f.from !== undefined) add('moved_at >= ?', f.from);
    if (f.to !== undefined) add('moved_at <= ?', f.to);
    params.push(offset, limit);
    const rows: (GatewayMoveRow & { total: string })[] = await this.m.query(
      `SELECT id, moved_at, reason, from_host_id, to_host_id, reconnected_at, extract(epoch FROM reconnected_at - moved_at)::float8 AS secs, count(*) OVER () AS total
         FROM gateway_moves WHERE ${where.join(' AND ')} ORDER BY moved_at DESC, id DESC OFFSET $${params.length - 1} LIMIT $${params.length}`,
      params,
    );
    const total = rows.length
      ? Number(rows[0].total)
      : offset > 0
        ? Number((await this.m.query(`SELECT count(*) AS n FROM gateway_moves WHERE ${where.join(' AND ')}`, params.slice(0, -2)))[0].n)
        : 0;
    return { rows, total };
  }

  private query(tenantId: string) {
    return this.m
      .getRepository(VpnGateway)
      .createQueryBuilder('g')
      .leftJoinAndSelect('g.vpc', 'vpc')
      .leftJoinAndSelect('g.subnet', 'subnet')
      .leftJoinAndSelect('g.externalIp', 'eip')
      .where('g.tenant_id = :tenantId', { tenantId });
  }

  private filtered(tenantId: string, f: GatewayFilters) {
    const qb = this.query(tenantId);
    if (f.vpcId) qb.andWhere('g.vpc_id = :vpcId', { vpcId: f.vpcId });
    if (f.resourceState) qb.andWhere('g.resource_state = :state', { state: f.resourceState });
    return qb;
  }

  list(tenantId: string, q: ResolvedListQuery, f: GatewayFilters): Promise<Page<VpnGateway>> {
    return pageQuery(this.filtered(tenantId, f), q, GATEWAY_SEARCH);
  }

  /** Every gateway the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery, f: GatewayFilters): AsyncIterable<GatewayExportRow> {
    return keysetRawRows<GatewayExportRow>(
      () =>
        this.filtered(tenantId, f)
          .select('g.id', 'id')
          .addSelect('g.name', 'name')
          .addSelect('vpc.name', 'vpcName')
          .addSelect('vpc.cidr', 'vpcCidr')
          .addSelect('subnet.name', 'subnetName')
          .addSelect('subnet.cidr', 'subnetCidr')
          .addSelect('eip.address', 'externalIp')
          .addSelect('g.tunnel_count', 'tunnelCount')
          .addSelect('g.created_at', 'createdAt')
          .addSelect('g.expires_at', 'expiresAt')
          .addSelect('g.charge_type', 'chargeType')
          .addSelect('g.resource_state', 'resourceState'),
      q,
      GATEWAY_SEARCH,
    );
  }

  /** One tenant's gateway with its VPC, subnet and address, or null. */
  find(tenantId: string, id: string): Promise<VpnGateway | null> {
    return this.query(tenantId).andWhere('g.id = :id', { id }).getOne();
  }

  tenantVpc(tenantId: string, id: string): Promise<Vpc | null> {
    return this.m.findOne(Vpc, { where: { id, tenantId } });
  }

  tenantSubnet(tenantId: string, id: string): Promise<Subnet | null> {
    return this.m.findOne(Subnet, { where: { id, tenantId } });
  }

  machineType(id: string): Promise<MachineType | null> {
    return this.m.findOne(MachineType, { where: { id } });
  }

  /** A tenant's external address, locked so two purchases cannot bind it twice; null when absent. */
  lockTenantExternalIp(tenantId: string, id: string): Promise<ExternalIp | null> {
    return this.m.createQueryBuilder(ExternalIp, 'e').setLock('pessimistic_write').where('e.id = :id AND e.tenant_id = :tenantId', { id, tenantId }).getOne();
  }

  async lockSubnet(id: string): Promise<void> {
    await this.m.createQueryBuilder(Subnet, 's').setLock('pessimistic_write').where('s.id = :id', { id }).getOne();
  }

  /** The private addresses taken in a subnet, by instances and by gateways. */
  async privateIpsIn(subnetId: string): Promise<string[]> {
    const instances = await this.m.find(Instance, { where: { subnetId }, select: { privateIp: true } });
    const gateways = await this.m.find(VpnGateway, { where: { subnetId }, select: { privateIp: true } });
    return [...instances, ...gateways].map((r) => r.privateIp);
  }

  async insert(row: Partial<VpnGateway> & Pick<VpnGateway, 'id'>): Promise<void> {
    await this.m.insert(VpnGateway, row);
  }

  async bindExternalIp(externalIpId: string, gatewayId: string): Promise<void> {
    await this.m.update(ExternalIp, { id: externalIpId }, { boundTo: gatewayId });
  }

  /** Updates a tenant's gateway; false when there is none. */
  async update(tenantId: string, id: string, patch: Partial<VpnGateway>): Promise<boolean> {
    const result = await this.m.update(VpnGateway, { id, tenantId }, patch);
    return !!result.affected;
  }

  /** A tenant's gateways of these ids, locked in id order. */
  lockTenantGateways(tenantId: string, ids: string[]): Promise<VpnGateway[]> {
    return this.m
      .createQueryBuilder(VpnGateway, 'g')
      .setLock('pessimistic_write')
      .where('g.tenant_id = :tenantId AND g.id IN (:...ids)', { tenantId, ids: ids.length ? ids : [''] })
      .orderBy('g.id')
      .getMany();
  }

  /** The tunnels (id, name, gateway) on these gateways, in id order. */
  tunnelsOn(gatewayIds: string[]): Promise<Pick<VpnTunnel, 'id' | 'name' | 'gatewayId'>[]> {
    return this.m.find(VpnTunnel, { where: { gatewayId: In(gatewayIds) }, select: { id: true, name: true, gatewayId: true }, order: { id: 'ASC' } });
  }
}

/** The last step of deleting a gateway, shared with the worker: unbind the address, drop the row. */
export async function finalizeGatewayDeletion(m: EntityManager, gatewayId: string): Promise<void> {
  await m.update(ExternalIp, { boundTo: gatewayId }, { boundTo: null });
  await m.delete(VpnGateway, { id: gatewayId });
}
