import { Inject, Injectable } from '@nestjs/common';
import { gatewayLogPage, GatewayLogPageDto, GatewayLogQueryDto } from './gateway-log';
import { InjectDataSource } from '@nestjs/typeorm';
import { tenantGatewayReason } from '../tenant-reasons';
import { DataSource } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors';
import { ID_PREFIX, newId } from '../../common/ids';
import type { GatewayExportRow } from '../vpn-sheets';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { Subnet } from '../../inventory/subnet.entity';
import { JobDispatcher } from '../../jobs/job-dispatcher';
import { GatewayPlacementService } from '../../hosts/gateway-placement.service';
import { defaultTemplateId } from '../../alerts/default-template.queries';
import { GATEWAY_CHARGER, GatewayCharger } from './gateway-charger';
import { CreateGatewayDto, GatewayDto, GatewayListQueryDto, UpdateGatewayDto } from './gateway.dto';
import { allocatePrivateIp, checkPeriod, checkPlacement, expiryFrom } from './gateway-rules';
import { finalizeGatewayDeletion, GatewayQueries } from './gateways.queries';
import { VpnGateway } from './vpn-gateway.entity';

const missing = (field: string, value: string, what: string) => violation(field, 'exists', value, `${what} ${value} does not exist`);

export function gatewayView(g: VpnGateway): GatewayDto {
  return {
    id: g.id,
    name: g.name,
    remark: g.remark,
    machineTypeId: g.machineTypeId,
    vpc: { id: g.vpcId, name: g.vpc?.name ?? '', cidr: g.vpc?.cidr ?? '' },
    subnet: { id: g.subnetId, name: g.subnet?.name ?? '', cidr: g.subnet?.cidr ?? '' },
    externalIp: { id: g.externalIpId, address: g.externalIp?.address ?? '' },
    privateIp: g.privateIp,
    chargeType: g.chargeType,
    resourceState: g.resourceState,
    stateReason: tenantGatewayReason(g.stateReason),
    tunnelCount: g.tunnelCount,
    alertTemplateId: g.alertTemplateId,
    createdAt: g.createdAt,
    expiresAt: g.expiresAt,
    autoRenew: g.autoRenew,
    expiredAt: g.expiredAt,
  };
}

@Injectable()
export class GatewaysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
    private readonly placement: GatewayPlacementService,
    @Inject(GATEWAY_CHARGER) private readonly chargeGateway: GatewayCharger,
  ) {}

  async list(tenantId: string, q: ResolvedListQuery, f: GatewayListQueryDto): Promise<Page<VpnGateway>> {
    return new GatewayQueries(this.db).list(tenantId, q, f);
  }

  /** Every gateway the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery, f: Pick<GatewayListQueryDto, 'vpcId' | 'resourceState'>): AsyncIterable<GatewayExportRow> {
    return new GatewayQueries(this.db).exportRows(tenantId, q, f);
  }

  async get(tenantId: string, id: string): Promise<VpnGateway> {
    const gateway = await new GatewayQueries(this.db).find(tenantId, id);
    if (!gateway) throw new NotFound('VPN gateway', id);
    return gateway;
  }

  async logs(tenantId: string, id: string, q: GatewayLogQueryDto): Promise<GatewayLogPageDto> {
    await this.get(tenantId, id);
    return gatewayLogPage(new GatewayQueries(this.db), id, q);
  }

  async create(tenantId: string, dto: CreateGatewayDto): Promise<VpnGateway> {
    const period = dto.period ?? 1;
    const periodProblems = checkPeriod(dto.chargeType, period);
    if (periodProblems.length) throw new ValidationFailed(periodProblems);

    const id = newId(ID_PREFIX.gateway);
    const hostId = await this.placement.pickHost();
    await this.db.transaction(async (m) => {
      const tx = new GatewayQueries(m);
      // One connection per transaction: queries run one after another.
      const vpc = await tx.tenantVpc(tenantId, dto.vpcId);
      const subnet = await tx.tenantSubnet(tenantId, dto.subnetId);
      const machineType = await tx.machineType(dto.machineTypeId);
      // Lock the address so two purchases cannot bind it twice.
      const eip = await tx.lockTenantExternalIp(tenantId, dto.externalIpId);
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

      const privateIp = await this.allocatePrivateIp(tx, subnet!);
      const now = new Date();
      const expiresAt = expiryFrom(now, dto.chargeType, period);
      await tx.insert({
        id,
        tenantId,
        name: dto.name,
        remark: dto.remark ?? '',
        machineTypeId: dto.machineTypeId,
        vpcId: vpc!.id,
        subnetId: subnet!.id,
        externalIpId: eip!.id,
        privateIp,
        chargeType: dto.chargeType,
        resourceState: 'creating',
        stateReason: hostId ? null : 'waiting for a gateway host',
        hostId,
        tunnelCount: 0,
        alertTemplateId: await defaultTemplateId(m, tenantId),
        createdAt: now,
        expiresAt,
      });
      await tx.bindExternalIp(eip!.id, id);
      // Paid in the same transaction (gateway-charger.ts): a refused charge leaves no gateway, no
      // bound address, no order and no ledger entry.
      await this.chargeGateway(m, {
        tenantId,
        gateway: { id, name: dto.name, machineTypeId: dto.machineTypeId, chargeType: dto.chargeType },
        kind: 'purchase',
        period,
        periodStart: now,
        periodEnd: expiresAt,
      });
    });
    await this.jobs.dispatch(hostId, 'gateway.sync', { gatewayId: id });
    return this.get(tenantId, id);
  }

  private async allocatePrivateIp(tx: GatewayQueries, subnet: Subnet): Promise<string> {
    // Two purchases in one subnet must not pick the same address: serialise on the subnet row.
    await tx.lockSubnet(subnet.id);
    const ip = allocatePrivateIp(subnet.cidr, await tx.privateIpsIn(subnet.id));
    if (!ip)
      throw new Conflict('subnet_full', `subnet ${subnet.id} has no free address for the gateway`, [
        violation('subnetId', 'free_address', subnet.id, `subnet ${subnet.cidr} is full: choose another subnet`),
      ]);
    return ip;
  }

  async update(tenantId: string, id: string, dto: UpdateGatewayDto): Promise<VpnGateway> {
    const found = await new GatewayQueries(this.db).update(tenantId, id, {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.remark !== undefined && { remark: dto.remark }),
      ...(dto.autoRenew !== undefined && { autoRenew: dto.autoRenew }),
    });
    if (!found) throw new NotFound('VPN gateway', id);
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
      const tx = new GatewayQueries(m);
      const rows = await tx.lockTenantGateways(tenantId, unique);
      const notFound = unique.filter((id) => !rows.some((r) => r.id === id));
      if (notFound.length) {
        if (unique.length === 1) throw new NotFound('VPN gateway', notFound[0]);
        throw new ValidationFailed(notFound.map((id) => missing('ids', id, 'VPN gateway')));
      }
      const tunnels = await tx.tunnelsOn(unique);
      if (tunnels.length) {
        const problems = rows
          .filter((g) => tunnels.some((t) => t.gatewayId === g.id))
          .map((g) => {
            const names = tunnels.filter((t) => t.gatewayId === g.id).map((t) => `${t.id} (${t.name})`);
            return violation('id', 'no_tunnels', g.id, `VPN gateway ${g.id} still has tunnels: ${names.join(', ')}; delete them first`);
          });
        throw new Conflict('gateway_has_tunnels', problems.map((p) => p.message).join('; '), problems);
      }
      for (const g of rows) {
        if (g.hostId) {
          await tx.update(tenantId, g.id, { resourceState: 'deleting' });
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
