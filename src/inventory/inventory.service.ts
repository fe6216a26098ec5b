import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { cidrContains, cidrContainsIp, cidrsOverlap, firstHost, ipToInt, normalizeCidr, parseCidr } from '../common/cidr';
import { Conflict, NotFound, ValidationFailed } from '../common/errors';
import { ID_PREFIX, newId } from '../common/ids';
import { Page, ResolvedListQuery } from '../common/list-query';
import { violation } from '../common/violations';
import {
  CreateDataCenterDto,
  CreateExternalIpDto,
  CreateInstanceDto,
  CreateMachineTypeDto,
  CreateSubnetDto,
  CreateVpcDto,
  UpdateSubnetDto,
} from './inventory.dto';
import { DataCenter } from './data-center.entity';
import { ExternalIp } from './external-ip.entity';
import { Instance } from './instance.entity';
import { MachineType } from './machine-type.entity';
import { Subnet } from './subnet.entity';
import { Vpc } from './vpc.entity';
import { InventoryFilters, InventoryKind, InventoryQueries } from './inventory.queries';

const unique = (field: string, value: unknown, what: string) =>
  new Conflict('duplicate', `${what} already exists`, [violation(field, 'unique', value, `${what} already exists`)]);
const missing = (field: string, value: unknown, what: string) =>
  new ValidationFailed([violation(field, 'exists', value, `${what} ${String(value)} does not exist`)]);

/** Inventory: operators register it, tenants read their own. Reads are tenant-scoped here. */
@Injectable()
export class InventoryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get rows(): InventoryQueries {
    return new InventoryQueries(this.db);
  }

  async createDataCenter(dto: CreateDataCenterDto): Promise<DataCenter> {
    if (await this.rows.dataCenterNamed(dto.name)) throw unique('name', dto.name, `data center ${dto.name}`);
    return this.rows.saveDataCenter({ id: newId(ID_PREFIX.dataCenter), ...dto });
  }

  async createMachineType(dto: CreateMachineTypeDto): Promise<MachineType> {
    if (await this.rows.machineTypeNamed(dto.name)) throw unique('name', dto.name, `machine type ${dto.name}`);
    return this.rows.saveMachineType({ id: newId(ID_PREFIX.machineType), ...dto });
  }

  async createVpc(dto: CreateVpcDto): Promise<Vpc> {
    const cidr = normalizeCidr(dto.cidr);
    if (!cidr || parseCidr(cidr)!.prefix < 8 || parseCidr(cidr)!.prefix > 28) {
      throw new ValidationFailed([violation('cidr', 'cidr_prefix_8_to_28', dto.cidr, 'cidr must be an IPv4 CIDR with a prefix from /8 to /28')]);
    }
    if (!(await this.rows.tenantExists(dto.tenantId))) throw missing('tenantId', dto.tenantId, 'tenant');
    if (!(await this.rows.dataCenterExists(dto.dataCenterId))) throw missing('dataCenterId', dto.dataCenterId, 'data center');
    const vpc = await this.rows.saveVpc({ id: newId(ID_PREFIX.vpc), tenantId: dto.tenantId, dataCenterId: dto.dataCenterId, name: dto.name, cidr });
    // The VPC's router carries routes for subnets other than a gateway's own (routes/).
    await this.rows.insertAgentTarget({
      id: newId(ID_PREFIX.agentTarget),
      tenantId: vpc.tenantId,
      kind: 'vpc_router',
      vpcId: vpc.id,
      subnetId: null,
      instanceId: null,
    });
    return vpc;
  }

  async createSubnet(dto: CreateSubnetDto): Promise<Subnet> {
    const vpc = await this.rows.vpc(dto.vpcId);
    if (!vpc) throw missing('vpcId', dto.vpcId, 'VPC');
    const cidr = normalizeCidr(dto.cidr);
    if (!cidr || !cidrContains(parseCidr(vpc.cidr)!, parseCidr(cidr)!) || parseCidr(cidr)!.prefix > 29) {
      throw new ValidationFailed([violation('cidr', 'cidr_inside_vpc', dto.cidr, `cidr must be a CIDR of at least 8 addresses inside the VPC's ${vpc.cidr}`)]);
    }
    // Serialised per VPC (its row locked): parallel creates of 10.0.0.0/24 and 10.0.0.0/23 would
    // each see no overlap and both be inserted.
    return this.db.transaction(async (m) => {
      const tx = new InventoryQueries(m);
      const locked = await tx.lockVpc(vpc.id);
      if (!locked) throw missing('vpcId', dto.vpcId, 'VPC');
      const siblings = await tx.subnetsOf(vpc.id);
      const clash = siblings.find((s) => cidrsOverlap(parseCidr(s.cidr)!, parseCidr(cidr)!));
      if (clash)
        throw new Conflict('subnet_overlap', `${cidr} overlaps subnet ${clash.id} (${clash.cidr})`, [
          violation('cidr', 'no_overlap_with_subnets', dto.cidr, `${cidr} overlaps subnet ${clash.id} (${clash.cidr})`),
        ]);
      if (dto.vni !== undefined) await this.assertVniFree(tx, dto.vni, null);
      return tx.saveSubnet({ id: newId(ID_PREFIX.subnet), tenantId: vpc.tenantId, vpcId: vpc.id, name: dto.name, cidr, vni: dto.vni ?? null });
    });
  }

  /** Sets (or clears) a subnet's VNI: the segment its gateways join on the hosts' VXLAN fabric. */
  async updateSubnet(id: string, dto: UpdateSubnetDto): Promise<Subnet> {
    return this.db.transaction(async (m) => {
      const tx = new InventoryQueries(m);
      const subnet = await tx.lockSubnet(id);
      if (!subnet) throw new NotFound('subnet', id);
      if (subnet.vni === dto.vni) return subnet;
      // A placed gateway's host keeps the segment it attached to: moving it needs a re-placement, not an edit.
      const n = await tx.gatewaysInSubnet(id);
      if (n > 0)
        throw new Conflict('subnet_in_use', `${id} has ${n} VPN gateway(s): its VNI cannot change under them`, [
          violation('vni', 'no_gateways_in_subnet', dto.vni, `subnet ${id} has VPN gateways; delete them before changing its VNI`),
        ]);
      if (dto.vni !== null) await this.assertVniFree(tx, dto.vni, id);
      subnet.vni = dto.vni;
      return tx.saveSubnet(subnet);
    });
  }

  private async assertVniFree(tx: InventoryQueries, vni: number, exceptSubnetId: string | null): Promise<void> {
    const other = await tx.subnetWithVni(vni);
    if (other && other.id !== exceptSubnetId) {
      throw new Conflict('duplicate', `VNI ${vni} already carries subnet ${other.id}`, [
        violation('vni', 'unique', vni, `VNI ${vni} already carries subnet ${other.id}`),
      ]);
    }
  }

  async createExternalIp(dto: CreateExternalIpDto): Promise<ExternalIp> {
    if (!(await this.rows.tenantExists(dto.tenantId))) throw missing('tenantId', dto.tenantId, 'tenant');
    if (!(await this.rows.dataCenterExists(dto.dataCenterId))) throw missing('dataCenterId', dto.dataCenterId, 'data center');
    if (await this.rows.externalIpWithAddress(dto.address)) throw unique('address', dto.address, `external IP ${dto.address}`);
    const prefixLength = dto.prefixLength ?? 24;
    const routerIp = dto.routerIp ?? firstHost(`${dto.address}/${prefixLength}`);
    return this.rows.saveExternalIp({
      id: newId(ID_PREFIX.externalIp),
      tenantId: dto.tenantId,
      dataCenterId: dto.dataCenterId,
      address: dto.address,
      prefixLength,
      routerIp,
      boundTo: null,
    });
  }

  async createInstance(dto: CreateInstanceDto): Promise<Instance> {
    const subnet = await this.rows.subnet(dto.subnetId);
    if (!subnet) throw missing('subnetId', dto.subnetId, 'subnet');
    const cidr = parseCidr(subnet.cidr)!;
    const n = ipToInt(dto.privateIp);
    if (!cidrContainsIp(cidr, dto.privateIp) || n === cidr.network || n === cidr.network + 2 ** (32 - cidr.prefix) - 1 || n === cidr.network + 1) {
      throw new ValidationFailed([
        violation('privateIp', 'host_in_subnet', dto.privateIp, `privateIp must be a host address of ${subnet.cidr} other than its router (.1)`),
      ]);
    }
    if (await this.rows.instanceAt(subnet.id, dto.privateIp)) throw unique('privateIp', dto.privateIp, `an instance with ${dto.privateIp}`);
    const instance = await this.rows.saveInstance({
      id: newId(ID_PREFIX.instance),
      tenantId: subnet.tenantId,
      subnetId: subnet.id,
      name: dto.name,
      privateIp: dto.privateIp,
    });
    await this.rows.insertAgentTarget({
      id: newId(ID_PREFIX.agentTarget),
      tenantId: subnet.tenantId,
      kind: 'instance',
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      instanceId: instance.id,
    });
    return instance;
  }

  listDataCenters(q: ResolvedListQuery): Promise<Page<DataCenter>> {
    return this.rows.listDataCenters(q);
  }

  listMachineTypes(q: ResolvedListQuery): Promise<Page<MachineType>> {
    return this.rows.listMachineTypes(q);
  }

  /** Tenants see their own rows; operators see all, or one tenant's with ?tenantId=. */
  private scope(p: Principal, f: InventoryFilters): string | null | undefined {
    return p.role === 'admin' ? f.tenantId : p.tenantId;
  }

  listVpcs(p: Principal, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Vpc>> {
    return this.rows.listVpcs(this.scope(p, f), q, f);
  }

  listSubnets(p: Principal, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Subnet>> {
    return this.rows.listSubnets(this.scope(p, f), q, f);
  }

  listExternalIps(p: Principal, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<ExternalIp>> {
    return this.rows.listExternalIps(this.scope(p, f), q, f);
  }

  listInstances(p: Principal, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Instance>> {
    return this.rows.listInstances(this.scope(p, f), q, f);
  }

  async getVpc(p: Principal, id: string): Promise<Vpc> {
    const vpc = await this.rows.vpc(id, p.role === 'admin' ? undefined : p.tenantId!);
    if (!vpc) throw new NotFound('VPC', id);
    return vpc;
  }

  /** Deletes an inventory row that nothing references; a referenced row answers 409. */
  async remove(kind: InventoryKind, id: string): Promise<void> {
    if (!(await this.rows.exists(kind, id))) throw new NotFound(kind, id);
    try {
      await this.rows.delete(kind, id);
    } catch (err) {
      if ((err as { code?: string }).code === '23503') {
        throw new Conflict('in_use', `${id} is still referenced (by a VPN gateway, tunnel, subnet or instance): remove those first`, [
          violation('id', 'not_referenced', id, `${id} is still in use`),
        ]);
      }
      throw err;
    }
  }
}
