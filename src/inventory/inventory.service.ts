import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Principal } from '../auth/principal';
import { Tenant } from '../auth/tenant.entity';
import { AgentTarget } from '../routes/agent-target.entity';
import { cidrContains, cidrContainsIp, cidrsOverlap, firstHost, ipToInt, normalizeCidr, parseCidr } from '../common/cidr';
import { Conflict, NotFound, ValidationFailed } from '../common/errors';
import { ID_PREFIX, newId } from '../common/ids';
import { pageQuery } from '../common/list';
import { Page, ResolvedListQuery } from '../common/list-query';
import { violation } from '../common/violations';
import { CreateDataCenterDto, CreateExternalIpDto, CreateInstanceDto, CreateMachineTypeDto, CreateSubnetDto, CreateVpcDto, InventoryListQueryDto, UpdateSubnetDto } from './inventory.dto';
import { DataCenter, ExternalIp, Instance, MachineType, Subnet, Vpc } from './inventory.entities';

type Filters = Pick<InventoryListQueryDto, 'tenantId' | 'vpcId' | 'subnetId' | 'dataCenterId'>;

const unique = (field: string, value: unknown, what: string) => new Conflict('duplicate', `${what} already exists`, [violation(field, 'unique', value, `${what} already exists`)]);
const missing = (field: string, value: unknown, what: string) => new ValidationFailed([violation(field, 'exists', value, `${what} ${String(value)} does not exist`)]);

/** Inventory: operators register it, tenants read their own. Reads are tenant-scoped here. */
@Injectable()
export class InventoryService {
  constructor(
    @InjectRepository(DataCenter) private readonly dataCenters: Repository<DataCenter>,
    @InjectRepository(MachineType) private readonly machineTypes: Repository<MachineType>,
    @InjectRepository(Vpc) private readonly vpcs: Repository<Vpc>,
    @InjectRepository(Subnet) private readonly subnets: Repository<Subnet>,
    @InjectRepository(ExternalIp) private readonly externalIps: Repository<ExternalIp>,
    @InjectRepository(Instance) private readonly instances: Repository<Instance>,
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    @InjectRepository(AgentTarget) private readonly targets: Repository<AgentTarget>,
  ) {}

  async createDataCenter(dto: CreateDataCenterDto): Promise<DataCenter> {
    if (await this.dataCenters.findOne({ where: { name: dto.name } })) throw unique('name', dto.name, `data center ${dto.name}`);
    return this.dataCenters.save(this.dataCenters.create({ id: newId(ID_PREFIX.dataCenter), ...dto }));
  }

  async createMachineType(dto: CreateMachineTypeDto): Promise<MachineType> {
    if (await this.machineTypes.findOne({ where: { name: dto.name } })) throw unique('name', dto.name, `machine type ${dto.name}`);
    return this.machineTypes.save(this.machineTypes.create({ id: newId(ID_PREFIX.machineType), ...dto }));
  }

  async createVpc(dto: CreateVpcDto): Promise<Vpc> {
    const cidr = normalizeCidr(dto.cidr);
    if (!cidr || parseCidr(cidr)!.prefix < 8 || parseCidr(cidr)!.prefix > 28) {
      throw new ValidationFailed([violation('cidr', 'cidr_prefix_8_to_28', dto.cidr, 'cidr must be an IPv4 CIDR with a prefix from /8 to /28')]);
    }
    if (!(await this.tenants.exists({ where: { id: dto.tenantId } }))) throw missing('tenantId', dto.tenantId, 'tenant');
    if (!(await this.dataCenters.exists({ where: { id: dto.dataCenterId } }))) throw missing('dataCenterId', dto.dataCenterId, 'data center');
    const vpc = await this.vpcs.save(this.vpcs.create({ id: newId(ID_PREFIX.vpc), tenantId: dto.tenantId, dataCenterId: dto.dataCenterId, name: dto.name, cidr }));
    // The VPC's router carries routes for subnets other than a gateway's own (routes/).
    await this.targets.insert({ id: newId(ID_PREFIX.agentTarget), tenantId: vpc.tenantId, kind: 'vpc_router', vpcId: vpc.id, subnetId: null, instanceId: null });
    return vpc;
  }

  async createSubnet(dto: CreateSubnetDto): Promise<Subnet> {
    const vpc = await this.vpcs.findOne({ where: { id: dto.vpcId } });
    if (!vpc) throw missing('vpcId', dto.vpcId, 'VPC');
    const cidr = normalizeCidr(dto.cidr);
    if (!cidr || !cidrContains(parseCidr(vpc.cidr)!, parseCidr(cidr)!) || parseCidr(cidr)!.prefix > 29) {
      throw new ValidationFailed([violation('cidr', 'cidr_inside_vpc', dto.cidr, `cidr must be a CIDR of at least 8 addresses inside the VPC's ${vpc.cidr}`)]);
    }
    // Serialised per VPC (its row locked): parallel creates of 10.0.0.0/24 and 10.0.0.0/23 would
    // each see no overlap and both be inserted.
    return this.subnets.manager.transaction(async (m) => {
      const locked = await m.createQueryBuilder(Vpc, 'v').setLock('pessimistic_write').where('v.id = :id', { id: vpc.id }).getOne();
      if (!locked) throw missing('vpcId', dto.vpcId, 'VPC');
      const siblings = await m.find(Subnet, { where: { vpcId: vpc.id } });
      const clash = siblings.find((s) => cidrsOverlap(parseCidr(s.cidr)!, parseCidr(cidr)!));
      if (clash) throw new Conflict('subnet_overlap', `${cidr} overlaps subnet ${clash.id} (${clash.cidr})`, [violation('cidr', 'no_overlap_with_subnets', dto.cidr, `${cidr} overlaps subnet ${clash.id} (${clash.cidr})`)]);
      if (dto.vni !== undefined) await this.assertVniFree(m, dto.vni, null);
      return m.save(m.create(Subnet, { id: newId(ID_PREFIX.subnet), tenantId: vpc.tenantId, vpcId: vpc.id, name: dto.name, cidr, vni: dto.vni ?? null }));
    });
  }

  /** Sets (or clears) a subnet's VNI: the segment its gateways join on the hosts' VXLAN fabric. */
  async updateSubnet(id: string, dto: UpdateSubnetDto): Promise<Subnet> {
    return this.subnets.manager.transaction(async (m) => {
      const subnet = await m.createQueryBuilder(Subnet, 's').setLock('pessimistic_write').where('s.id = :id', { id }).getOne();
      if (!subnet) throw new NotFound('subnet', id);
      if (subnet.vni === dto.vni) return subnet;
      // A placed gateway's host keeps the segment it attached to: moving it needs a re-placement, not an edit.
      const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM vpn_gateways WHERE subnet_id = $1`, [id]);
      if (n > 0) throw new Conflict('subnet_in_use', `${id} has ${n} VPN gateway(s): its VNI cannot change under them`, [violation('vni', 'no_gateways_in_subnet', dto.vni, `subnet ${id} has VPN gateways; delete them before changing its VNI`)]);
      if (dto.vni !== null) await this.assertVniFree(m, dto.vni, id);
      subnet.vni = dto.vni;
      return m.save(subnet);
    });
  }

  private async assertVniFree(m: EntityManager, vni: number, exceptSubnetId: string | null): Promise<void> {
    const other = await m.findOne(Subnet, { where: { vni } });
    if (other && other.id !== exceptSubnetId) {
      throw new Conflict('duplicate', `VNI ${vni} already carries subnet ${other.id}`, [violation('vni', 'unique', vni, `VNI ${vni} already carries subnet ${other.id}`)]);
    }
  }

  async createExternalIp(dto: CreateExternalIpDto): Promise<ExternalIp> {
    if (!(await this.tenants.exists({ where: { id: dto.tenantId } }))) throw missing('tenantId', dto.tenantId, 'tenant');
    if (!(await this.dataCenters.exists({ where: { id: dto.dataCenterId } }))) throw missing('dataCenterId', dto.dataCenterId, 'data center');
    if (await this.externalIps.findOne({ where: { address: dto.address } })) throw unique('address', dto.address, `external IP ${dto.address}`);
    const prefixLength = dto.prefixLength ?? 24;
    const routerIp = dto.routerIp ?? firstHost(`${dto.address}/${prefixLength}`);
    return this.externalIps.save(
      this.externalIps.create({ id: newId(ID_PREFIX.externalIp), tenantId: dto.tenantId, dataCenterId: dto.dataCenterId, address: dto.address, prefixLength, routerIp, boundTo: null }),
    );
  }

  async createInstance(dto: CreateInstanceDto): Promise<Instance> {
    const subnet = await this.subnets.findOne({ where: { id: dto.subnetId } });
    if (!subnet) throw missing('subnetId', dto.subnetId, 'subnet');
    const cidr = parseCidr(subnet.cidr)!;
    const n = ipToInt(dto.privateIp);
    if (!cidrContainsIp(cidr, dto.privateIp) || n === cidr.network || n === cidr.network + 2 ** (32 - cidr.prefix) - 1 || n === cidr.network + 1) {
      throw new ValidationFailed([violation('privateIp', 'host_in_subnet', dto.privateIp, `privateIp must be a host address of ${subnet.cidr} other than its router (.1)`)]);
    }
    if (await this.instances.findOne({ where: { subnetId: subnet.id, privateIp: dto.privateIp } })) throw unique('privateIp', dto.privateIp, `an instance with ${dto.privateIp}`);
    const instance = await this.instances.save(this.instances.create({ id: newId(ID_PREFIX.instance), tenantId: subnet.tenantId, subnetId: subnet.id, name: dto.name, privateIp: dto.privateIp }));
    await this.targets.insert({ id: newId(ID_PREFIX.agentTarget), tenantId: subnet.tenantId, kind: 'instance', vpcId: subnet.vpcId, subnetId: subnet.id, instanceId: instance.id });
    return instance;
  }

  listDataCenters(q: ResolvedListQuery): Promise<Page<DataCenter>> {
    return pageQuery(this.dataCenters.createQueryBuilder('r'), q, ['r.name', 'r.id', 'r.region']);
  }

  listMachineTypes(q: ResolvedListQuery): Promise<Page<MachineType>> {
    return pageQuery(this.machineTypes.createQueryBuilder('r'), q, ['r.name', 'r.id']);
  }

  listVpcs(p: Principal, q: ResolvedListQuery, f: Filters): Promise<Page<Vpc>> {
    const qb = this.scoped(this.vpcs, p, f);
    if (f.dataCenterId) qb.andWhere('r.data_center_id = :dc', { dc: f.dataCenterId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.cidr']);
  }

  listSubnets(p: Principal, q: ResolvedListQuery, f: Filters): Promise<Page<Subnet>> {
    const qb = this.scoped(this.subnets, p, f);
    if (f.vpcId) qb.andWhere('r.vpc_id = :vpcId', { vpcId: f.vpcId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.cidr']);
  }

  listExternalIps(p: Principal, q: ResolvedListQuery, f: Filters): Promise<Page<ExternalIp>> {
    const qb = this.scoped(this.externalIps, p, f);
    if (f.dataCenterId) qb.andWhere('r.data_center_id = :dc', { dc: f.dataCenterId });
    return pageQuery(qb, q, ['r.address', 'r.id']);
  }

  listInstances(p: Principal, q: ResolvedListQuery, f: Filters): Promise<Page<Instance>> {
    const qb = this.scoped(this.instances, p, f);
    if (f.subnetId) qb.andWhere('r.subnet_id = :subnetId', { subnetId: f.subnetId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.private_ip']);
  }

  /** Tenants see their own rows; operators see all, or one tenant's with ?tenantId=. */
  private scoped<T extends { tenantId: string }>(repo: Repository<T>, p: Principal, f: Filters) {
    const qb = repo.createQueryBuilder('r');
    const tenantId = p.role === 'admin' ? f.tenantId : p.tenantId;
    if (tenantId) qb.andWhere('r.tenant_id = :tenantId', { tenantId });
    return qb;
  }

  async getVpc(p: Principal, id: string): Promise<Vpc> {
    const vpc = await this.vpcs.findOne({ where: p.role === 'admin' ? { id } : { id, tenantId: p.tenantId! } });
    if (!vpc) throw new NotFound('VPC', id);
    return vpc;
  }

  /** Deletes an inventory row that nothing references; a referenced row answers 409. */
  async remove(kind: 'dataCenter' | 'machineType' | 'vpc' | 'subnet' | 'externalIp' | 'instance', id: string): Promise<void> {
    const repos = { dataCenter: this.dataCenters, machineType: this.machineTypes, vpc: this.vpcs, subnet: this.subnets, externalIp: this.externalIps, instance: this.instances };
    const repo = repos[kind] as Repository<{ id: string }>;
    if (!(await repo.exists({ where: { id } }))) throw new NotFound(kind, id);
    try {
      await repo.delete({ id });
    } catch (err) {
      if ((err as { code?: string }).code === '23503') {
        throw new Conflict('in_use', `${id} is still referenced (by a VPN gateway, tunnel, subnet or instance): remove those first`, [violation('id', 'not_referenced', id, `${id} is still in use`)]);
      }
      throw err;
    }
  }
}
