import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { pageQuery } from '../common/list.queries';
import { Page, ResolvedListQuery } from '../common/list-query';
import { managerOf } from '../database/manager';
import { InventoryListQueryDto } from './inventory.dto';
import { DataCenter } from './data-center.entity';
import { ExternalIp } from './external-ip.entity';
import { Instance } from './instance.entity';
import { MachineType } from './machine-type.entity';
import { Subnet } from './subnet.entity';
import { Vpc } from './vpc.entity';

export type InventoryFilters = Pick<InventoryListQueryDto, 'tenantId' | 'vpcId' | 'subnetId' | 'dataCenterId'>;
export type InventoryKind = 'dataCenter' | 'machineType' | 'vpc' | 'subnet' | 'externalIp' | 'instance';
const TABLES: Record<InventoryKind, EntityTarget<{ id: string }>> = {
  dataCenter: DataCenter,
  machineType: MachineType,
  vpc: Vpc,
  subnet: Subnet,
  externalIp: ExternalIp,
  instance: Instance,
};

/** What InventoryService reads and writes. */
export class InventoryQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  dataCenterNamed(name: string): Promise<DataCenter | null> {
    return this.m.findOne(DataCenter, { where: { name } });
  }

  saveDataCenter(row: Partial<DataCenter>): Promise<DataCenter> {
    return this.m.save(this.m.create(DataCenter, row));
  }

  machineTypeNamed(name: string): Promise<MachineType | null> {
    return this.m.findOne(MachineType, { where: { name } });
  }

  saveMachineType(row: Partial<MachineType>): Promise<MachineType> {
    return this.m.save(this.m.create(MachineType, row));
  }

  tenantExists(id: string): Promise<boolean> {
    return this.m.exists(Tenant, { where: { id } });
  }

  dataCenterExists(id: string): Promise<boolean> {
    return this.m.exists(DataCenter, { where: { id } });
  }

  saveVpc(row: Partial<Vpc>): Promise<Vpc> {
    return this.m.save(this.m.create(Vpc, row));
  }

  /** A VPC by id (of this tenant only, when given), or null. */
  vpc(id: string, tenantId?: string): Promise<Vpc | null> {
    return this.m.findOne(Vpc, { where: tenantId === undefined ? { id } : { id, tenantId } });
  }

  /**
   * Where the route agent of a VPC router or an instance reports (routes/ owns the table; inventory
   * only adds a target with each VPC and instance).
   */
  async insertAgentTarget(t: {
    id: string;
    tenantId: string;
    kind: 'instance' | 'vpc_router';
    vpcId: string;
    subnetId: string | null;
    instanceId: string | null;
  }): Promise<void> {
    await this.m.query('INSERT INTO agent_targets (id, tenant_id, kind, vpc_id, subnet_id, instance_id) VALUES ($1, $2, $3, $4, $5, $6)', [
      t.id,
      t.tenantId,
      t.kind,
      t.vpcId,
      t.subnetId,
      t.instanceId,
    ]);
  }

  /** The VPC's row, locked: subnet creates in one VPC are serialised on it. */
  lockVpc(id: string): Promise<Vpc | null> {
    return this.m.createQueryBuilder(Vpc, 'v').setLock('pessimistic_write').where('v.id = :id', { id }).getOne();
  }

  subnetsOf(vpcId: string): Promise<Subnet[]> {
    return this.m.find(Subnet, { where: { vpcId } });
  }

  saveSubnet(row: Subnet | Partial<Subnet>): Promise<Subnet> {
    return this.m.save(row instanceof Subnet ? row : this.m.create(Subnet, row));
  }

  lockSubnet(id: string): Promise<Subnet | null> {
    return this.m.createQueryBuilder(Subnet, 's').setLock('pessimistic_write').where('s.id = :id', { id }).getOne();
  }

  subnet(id: string): Promise<Subnet | null> {
    return this.m.findOne(Subnet, { where: { id } });
  }

  async gatewaysInSubnet(subnetId: string): Promise<number> {
    const [{ n }] = await this.m.query(`SELECT count(*)::int AS n FROM vpn_gateways WHERE subnet_id = $1`, [subnetId]);
    return n;
  }

  subnetWithVni(vni: number): Promise<Subnet | null> {
    return this.m.findOne(Subnet, { where: { vni } });
  }

  externalIpWithAddress(address: string): Promise<ExternalIp | null> {
    return this.m.findOne(ExternalIp, { where: { address } });
  }

  saveExternalIp(row: Partial<ExternalIp>): Promise<ExternalIp> {
    return this.m.save(this.m.create(ExternalIp, row));
  }

  instanceAt(subnetId: string, privateIp: string): Promise<Instance | null> {
    return this.m.findOne(Instance, { where: { subnetId, privateIp } });
  }

  saveInstance(row: Partial<Instance>): Promise<Instance> {
    return this.m.save(this.m.create(Instance, row));
  }

  listDataCenters(q: ResolvedListQuery): Promise<Page<DataCenter>> {
    return pageQuery(this.m.getRepository(DataCenter).createQueryBuilder('r'), q, ['r.name', 'r.id', 'r.region']);
  }

  listMachineTypes(q: ResolvedListQuery): Promise<Page<MachineType>> {
    return pageQuery(this.m.getRepository(MachineType).createQueryBuilder('r'), q, ['r.name', 'r.id']);
  }

  listVpcs(tenantId: string | null | undefined, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Vpc>> {
    const qb = this.scoped(Vpc, tenantId);
    if (f.dataCenterId) qb.andWhere('r.data_center_id = :dc', { dc: f.dataCenterId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.cidr']);
  }

  listSubnets(tenantId: string | null | undefined, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Subnet>> {
    const qb = this.scoped(Subnet, tenantId);
    if (f.vpcId) qb.andWhere('r.vpc_id = :vpcId', { vpcId: f.vpcId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.cidr']);
  }

  listExternalIps(tenantId: string | null | undefined, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<ExternalIp>> {
    const qb = this.scoped(ExternalIp, tenantId);
    if (f.dataCenterId) qb.andWhere('r.data_center_id = :dc', { dc: f.dataCenterId });
    return pageQuery(qb, q, ['r.address', 'r.id']);
  }

  listInstances(tenantId: string | null | undefined, q: ResolvedListQuery, f: InventoryFilters): Promise<Page<Instance>> {
    const qb = this.scoped(Instance, tenantId);
    if (f.subnetId) qb.andWhere('r.subnet_id = :subnetId', { subnetId: f.subnetId });
    return pageQuery(qb, q, ['r.name', 'r.id', 'r.private_ip']);
  }

  /** One tenant's rows (all tenants' without one). */
  private scoped<T extends ObjectLiteral & { tenantId: string }>(entity: EntityTarget<T>, tenantId: string | null | undefined) {
    const qb = this.m.getRepository(entity).createQueryBuilder('r');
    if (tenantId) qb.andWhere('r.tenant_id = :tenantId', { tenantId });
    return qb;
  }

  exists(kind: InventoryKind, id: string): Promise<boolean> {
    return this.m.exists(TABLES[kind], { where: { id } });
  }

  async delete(kind: InventoryKind, id: string): Promise<void> {
    await this.m.delete(TABLES[kind], { id });
  }
}
