import { Injectable } from '@nestjs/common';
import { gatewayLogPage, GatewayLogPageDto, GatewayLogQueryDto } from './gateway-log';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { tenantGatewayReason } from '../tenant-reasons';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors';
import { ID_PREFIX, newId } from '../../common/ids';
import { pageQuery } from '../../common/list';
import { keysetRawRows } from '../../exports/keyset';
import type { GatewayExportRow } from '../../exports/vpn-sheets';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { ExternalIp, Instance, MachineType, Subnet, Vpc } from '../../inventory/inventory.entities';
import { JobDispatcher } from '../../jobs/job-dispatcher';
import { GatewayPlacementService } from '../../negotiation/gateway-placement.service';
import { VpnTunnel } from '../tunnels/vpn-tunnel.entity';
import { defaultTemplateId } from '../../alerts/default-template';
import { chargeGateway } from '../../billing/ledger';
import { CreateGatewayDto, GatewayDto, GatewayListQueryDto, UpdateGatewayDto } from './gateway.dto';
import { allocatePrivateIp, checkPeriod, checkPlacement, expiryFrom } from './gateway-rules';
import { VpnGateway } from './vpn-gateway.entity';

export const GATEWAY_SORT = { createdAt: 'g.created_at', name: 'g.name', expiresAt: 'g.expires_at', tunnelCount: 'g.tunnel_count' };
const GATEWAY_SEARCH = ['g.name', 'g.id', 'eip.address', 'g.private_ip', 'vpc.name'];

const missing = (field: string, value: string, what: string) => violation(field, 'exists', value, `${what} ${value} does not exist`);

export function gatewayView(g: VpnGateway): GatewayDto {
  return {
    id: g.id, name: g.name, remark: g.remark, machineTypeId: g.machineTypeId,
    vpc: { id: g.vpcId, name: g.vpc?.name ?? '', cidr: g.vpc?.cidr ?? '' },
    subnet: { id: g.subnetId, name: g.subnet?.name ?? '', cidr: g.subnet?.cidr ?? '' },
    externalIp: { id: g.externalIpId, address: g.externalIp?.address ?? '' },
    privateIp: g.privateIp, chargeType: g.chargeType, resourceState: g.resourceState, stateReason: tenantGatewayReason(g.stateReason),
    tunnelCount: g.tunnelCount, alertTemplateId: g.alertTemplateId, createdAt: g.createdAt, expiresAt: g.expiresAt,
    autoRenew: g.autoRenew, expiredAt: g.expiredAt,
  };
}

@Injectable()
export class GatewaysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(VpnGateway) private readonly gateways: Repository<VpnGateway>,
    private readonly jobs: JobDispatcher,
    private readonly placement: GatewayPlacementService,
  ) {}

  private query(tenantId: string) {
    return this.gateways
      .createQueryBuilder('g')
      .leftJoinAndSelect('g.vpc', 'vpc')
      .leftJoinAndSelect('g.subnet', 'subnet')
      .leftJoinAndSelect('g.externalIp', 'eip')
      .where('g.tenant_id = :tenantId', { tenantId });
  }

  private filtered(tenantId: string, f: Pick<GatewayListQueryDto, 'vpcId' | 'resourceState'>) {
    const qb = this.query(tenantId);
    if (f.vpcId) qb.andWhere('g.vpc_id = :vpcId', { vpcId: f.vpcId });
    if (f.resourceState) qb.andWhere('g.resource_state = :state', { state: f.resourceState });
    return qb;
  }

  async list(tenantId: string, q: ResolvedListQuery, f: GatewayListQueryDto): Promise<Page<VpnGateway>> {
    return pageQuery(this.filtered(tenantId, f), q, GATEWAY_SEARCH);
  }

  /** Every gateway the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery, f: Pick<GatewayListQueryDto, 'vpcId' | 'resourceState'>): AsyncIterable<GatewayExportRow> {
    return keysetRawRows<GatewayExportRow>(() => this.filtered(tenantId, f).select('g.id', 'id').addSelect('g.name', 'name')
      .addSelect('vpc.name', 'vpcName').addSelect('vpc.cidr', 'vpcCidr').addSelect('subnet.name', 'subnetName').addSelect('subnet.cidr', 'subnetCidr')
      .addSelect('eip.address', 'externalIp').addSelect('g.tunnel_count', 'tunnelCount').addSelect('g.created_at', 'createdAt')
      .addSelect('g.expires_at', 'expiresAt').addSelect('g.charge_type', 'chargeType').addSelect('g.resource_state', 'resourceState'), q, GATEWAY_SEARCH);
  }

  async get(tenantId: string, id: string): Promise<VpnGateway> {
    const gateway = await this.query(tenantId).andWhere('g.id = :id', { id }).getOne();
    if (!gateway) throw new NotFound('VPN gateway', id);
    return gateway;
  }

  async logs(tenantId: string, id: string, q: GatewayLogQueryDto): Promise<GatewayLogPageDto> {
    await this.get(tenantId, id);
    return gatewayLogPage(this.db, id, q);
  }

  async create(tenantId: string, dto: CreateGatewayDto): Promise<VpnGateway> {
    const period = dto.period ?? 1;
    const periodProblems = checkPeriod(dto.chargeType, period);
    if (periodProblems.length) throw new ValidationFailed(periodProblems);

    const id = newId(ID_PREFIX.gateway);
    const hostId = await this.placement.pickHost();
    await this.db.transaction(async (m) => {
      // One connection per transaction: queries run one after another.
      const vpc = await m.findOne(Vpc, { where: { id: dto.vpcId, tenantId } });
      const subnet = await m.findOne(Subnet, { where: { id: dto.subnetId, tenantId } });
      const machineType = await m.findOne(MachineType, { where: { id: dto.machineTypeId } });
      // Lock the address so two purchases cannot bind it twice.
      const eip = await m.createQueryBuilder(ExternalIp, 'e').setLock('pessimistic_write')
        .where('e.id = :id AND e.tenant_id = :tenantId', { id: dto.externalIpId, tenantId }).getOne();
      const absent = [
        !vpc && missing('vpcId', dto.vpcId, 'VPC'),
        !subnet && missing('subnetId', dto.subnetId, 'subnet'),
        !machineType && missing('machineTypeId', dto.machineTypeId, 'machine type'),
        !eip && missing('externalIpId', dto.externalIpId, 'external IP'),
      ].filter((v): v is ReturnType<typeof violation> => !!v);
      if (absent.length) throw new ValidationFailed(absent);

      const { invalid, conflicts } = checkPlacement({ vpc: vpc!, subnet: subnet!, externalIp: eip! });
      if (invalid.length) throw new ValidationFailed(invalid);
      if (conflicts.length) throw new Conflict('external_ip_bound', conflicts[0].message, conflicts);

      const privateIp = await this.allocatePrivateIp(m, subnet!);
      const now = new Date();
      const expiresAt = expiryFrom(now, dto.chargeType, period);
      await m.insert(VpnGateway, {
        id, tenantId, name: dto.name, remark: dto.remark ?? '', machineTypeId: dto.machineTypeId, vpcId: vpc!.id, subnetId: subnet!.id,
        externalIpId: eip!.id, privateIp, chargeType: dto.chargeType, resourceState: 'creating',
        stateReason: hostId ? null : 'waiting for a gateway host', hostId, tunnelCount: 0, alertTemplateId: await defaultTemplateId(m, tenantId),
        createdAt: now, expiresAt,
      });
      await m.update(ExternalIp, { id: eip!.id }, { boundTo: id });
      // Paid in the same transaction (billing/ledger.ts): a refused charge leaves no gateway, no
      // bound address, no order and no ledger entry.
      await chargeGateway(m, {
        tenantId, gateway: { id, name: dto.name, machineTypeId: dto.machineTypeId, chargeType: dto.chargeType },
        kind: 'purchase', period, periodStart: now, periodEnd: expiresAt,
      });
    });
    await this.jobs.dispatch(hostId, 'gateway.sync', { gatewayId: id });
    return this.get(tenantId, id);
  }

  private async allocatePrivateIp(m: EntityManager, subnet: Subnet): Promise<string> {
    // Two purchases in one subnet must not pick the same address: serialise on the subnet row.
    await m.createQueryBuilder(Subnet, 's').setLock('pessimistic_write').where('s.id = :id', { id: subnet.id }).getOne();
    const instances = await m.find(Instance, { where: { subnetId: subnet.id }, select: { privateIp: true } });
    const gateways = await m.find(VpnGateway, { where: { subnetId: subnet.id }, select: { privateIp: true } });
    const ip = allocatePrivateIp(subnet.cidr, [...instances, ...gateways].map((r) => r.privateIp));
    if (!ip) throw new Conflict('subnet_full', `subnet ${subnet.id} has no free address for the gateway`, [violation('subnetId', 'free_address', subnet.id, `subnet ${subnet.cidr} is full: choose another subnet`)]);
    return ip;
  }

  async update(tenantId: string, id: string, dto: UpdateGatewayDto): Promise<VpnGateway> {
    const result = await this.gateways.update({ id, tenantId }, {
      ...(dto.name !== undefined && { name: dto.name }), ...(dto.remark !== undefined && { remark: dto.remark }), ...(dto.autoRenew !== undefined && { autoRenew: dto.autoRenew }),
    });
    if (!result.affected) throw new NotFound('VPN gateway', id);
    return this.get(tenantId, id);
  }

  /**
   * Deletes gateways that have no tunnels; all or nothing. A gateway placed on a host is marked
   * `deleting` and torn down by its host, which then removes the row; an unplaced one goes at once.
   */
  async remove(tenantId: string, ids: string[]): Promise<{ deleted: string[]; deleting: string[] }> {
    const unique = [...new Set(ids)];
    const toTearDown: VpnGateway[] = [];
    const deleted: string[] = [];
    await this.db.transaction(async (m) => {
      const rows = await m.createQueryBuilder(VpnGateway, 'g').setLock('pessimistic_write')
        .where('g.tenant_id = :tenantId AND g.id IN (:...ids)', { tenantId, ids: unique.length ? unique : [''] }).orderBy('g.id').getMany();
      const notFound = unique.filter((id) => !rows.some((r) => r.id === id));
      if (notFound.length) {
        if (unique.length === 1) throw new NotFound('VPN gateway', notFound[0]);
        throw new ValidationFailed(notFound.map((id) => missing('ids', id, 'VPN gateway')));
      }
      const tunnels = await m.find(VpnTunnel, { where: { gatewayId: In(unique) }, select: { id: true, name: true, gatewayId: true }, order: { id: 'ASC' } });
      if (tunnels.length) {
        const problems = rows.filter((g) => tunnels.some((t) => t.gatewayId === g.id)).map((g) => {
          const names = tunnels.filter((t) => t.gatewayId === g.id).map((t) => `${t.id} (${t.name})`);
          return violation('id', 'no_tunnels', g.id, `VPN gateway ${g.id} still has tunnels: ${names.join(', ')}; delete them first`);
        });
        throw new Conflict('gateway_has_tunnels', problems.map((p) => p.message).join('; '), problems);
      }
      for (const g of rows) {
        if (g.hostId) {
          await m.update(VpnGateway, { id: g.id }, { resourceState: 'deleting' });
          toTearDown.push(g);
        } else {
          await finalizeGatewayDeletion(m, g.id);
          deleted.push(g.id);
        }
      }
    });
    for (const g of toTearDown) await this.jobs.dispatch(g.hostId, 'gateway.delete', { gatewayId: g.id });
    return { deleted, deleting: toTearDown.map((g) => g.id) };
  }
}

/** The last step of deleting a gateway, shared with the worker: unbind the address, drop the row. */
export async function finalizeGatewayDeletion(m: EntityManager, gatewayId: string): Promise<void> {
  await m.update(ExternalIp, { boundTo: gatewayId }, { boundTo: null });
  await m.delete(VpnGateway, { id: gatewayId });
}
