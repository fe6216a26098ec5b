import { DataSource, EntityManager, In, Not, SelectQueryBuilder } from 'typeorm';
import { Conflict } from '../../common/errors';
import { pageByIds } from '../../common/list.queries';
import { managerOf } from '../../database/manager';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { keysetRawRows } from '../../exports/keyset.queries';
import type { TunnelExportRow } from '../vpn-sheets';
import { Subnet } from '../../inventory/subnet.entity';
import { Vpc } from '../../inventory/vpc.entity';
import { VpnGateway } from '../gateways/vpn-gateway.entity';
import { PeerGateway } from '../peers/peer-gateway.entity';
import { IkePolicy } from '../../policy/policy';
import { TunnelSubnets } from './tunnel-rules';
import { TunnelListQueryDto } from './tunnel.dto';
import { TunnelPair } from './tunnel-pair.entity';
import { VpnTunnel } from './vpn-tunnel.entity';

export const TUNNEL_SORT = {
  createdAt: 't.created_at',
  name: 't.name',
  connectionState: 't.connection_state',
  resourceState: 't.resource_state',
  stateChangedAt: 't.state_changed_at',
};
export type TunnelFilters = Pick<TunnelListQueryDto, 'gatewayId' | 'peerId' | 'resourceState' | 'connectionState'>;

/** What TunnelsService reads and writes: the SQL of tunnels, their lock order and their checks under lock. */
export class TunnelQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  private query(tenantId: string) {
    return this.m
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .innerJoinAndSelect('t.gateway', 'g')
      .innerJoinAndSelect('g.externalIp', 'eip')
      .innerJoinAndSelect('t.peer', 'p')
      .where('t.tenant_id = :tenantId', { tenantId });
  }

  async list(tenantId: string, q: ResolvedListQuery, f: TunnelFilters): Promise<Page<VpnTunnel>> {
    // Filters, search and sort are all on vpn_tunnels: page and count ids without the joins, then
    // load the page's rows with them (sorting a thousand search hits joined is what made it slow).
    const scope = this.filtered(this.m.getRepository(VpnTunnel).createQueryBuilder('t').where('t.tenant_id = :tenantId', { tenantId }), tenantId, q, f);
    return pageByIds(scope, q, (ids) => this.listRows(tenantId, ids));
  }

  /** A page's tunnels with what the list shows of their gateway and peer (name and IP), not whole rows to read and hydrate. */
  private listRows(tenantId: string, ids: string[]): Promise<VpnTunnel[]> {
    return this.m
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .innerJoin('t.gateway', 'g')
      .addSelect(['g.id', 'g.name'])
      .innerJoin('g.externalIp', 'eip')
      .addSelect(['eip.id', 'eip.address'])
      .innerJoin('t.peer', 'p')
      .addSelect(['p.id', 'p.name', 'p.ipAddress'])
      .where('t.tenant_id = :tenantId', { tenantId })
      .andWhere('t.id IN (:...ids)', { ids })
      .getMany();
  }

  /** Every tunnel the list would show, in its order, a page at a time: the Excel export's columns only (no PSK). */
  exportRows(tenantId: string, q: ResolvedListQuery, f: TunnelFilters): AsyncIterable<TunnelExportRow> {
    return keysetRawRows<TunnelExportRow>(
      () =>
        this.filtered(this.query(tenantId), tenantId, q, f)
          .select('t.id', 'id')
          .addSelect('t.name', 'name')
          .addSelect('g.name', 'gatewayName')
          .addSelect('eip.address', 'gatewayIp')
          .addSelect('p.name', 'peerName')
          .addSelect('p.ip_address', 'peerIp')
          .addSelect('t.created_at', 'createdAt')
          .addSelect('t.resource_state', 'resourceState')
          .addSelect('t.connection_state', 'connectionState'),
      { ...q, like: null },
      [],
    );
  }

  /** The list's scope, filters and search (the search is not pageQuery's: see below). */
  private filtered(qb: SelectQueryBuilder<VpnTunnel>, tenantId: string, q: Pick<ResolvedListQuery, 'like'>, f: TunnelFilters) {
    if (f.gatewayId) qb.andWhere('t.gateway_id = :gatewayId', { gatewayId: f.gatewayId });
    if (f.peerId) qb.andWhere('t.peer_id = :peerId', { peerId: f.peerId });
    if (f.resourceState) qb.andWhere('t.resource_state = :rs', { rs: f.resourceState });
    if (f.connectionState) qb.andWhere('t.connection_state = :cs', { cs: f.connectionState });
    if (q.like) {
      // The search as conditions on vpn_tunnels alone, so PostgreSQL can OR four indexes (trigram on
      // name and id, btree on gateway_id and peer_id) instead of testing every joined row. Same matches
      // as ILIKE over t.name, t.id, g.name, eip.address, p.name, p.ip_address.
      qb.andWhere(
        `(t.name ILIKE :like OR t.id ILIKE :like
        OR t.gateway_id = ANY(ARRAY(SELECT sg.id FROM vpn_gateways sg JOIN external_ips se ON se.id = sg.external_ip_id
                                    WHERE sg.tenant_id = :tenantId AND (sg.name ILIKE :like OR se.address ILIKE :like)))
        OR t.peer_id = ANY(ARRAY(SELECT sp.id FROM peer_gateways sp WHERE sp.tenant_id = :tenantId AND (sp.name ILIKE :like OR sp.ip_address ILIKE :like))))`,
        { like: q.like },
      );
    }
    return qb;
  }

  /** One tenant's tunnel with its gateway (and address) and peer, or null. */
  find(tenantId: string, id: string): Promise<VpnTunnel | null> {
    return this.query(tenantId).andWhere('t.id = :id', { id }).getOne();
  }

  /** The sealed pre-shared key (a column never selected otherwise), or null when there is no such tunnel. */
  async sealedPsk(tenantId: string, id: string): Promise<string | null> {
    const row = await this.m
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .addSelect('t.psk_sealed', 't_psk_sealed')
      .where('t.id = :id AND t.tenant_id = :tenantId', { id, tenantId })
      .getOne();
    return row ? row.pskSealed : null;
  }

  /** Subnet refs (id, name, cidr) of the given ids, for views. */
  async subnetsById(ids: string[]): Promise<Map<string, Subnet>> {
    if (!ids.length) return new Map();
    const rows = await this.m.find(Subnet, { where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((s) => [s.id, s]));
  }

  /** A tenant's gateway with its external address, or null. */
  tenantGateway(tenantId: string, id: string): Promise<VpnGateway | null> {
    return this.m.findOne(VpnGateway, { where: { id, tenantId }, relations: { externalIp: true } });
  }

  tenantPeer(tenantId: string, id: string): Promise<PeerGateway | null> {
    return this.m.findOne(PeerGateway, { where: { id, tenantId } });
  }

  gateway(id: string, withAddress = false): Promise<VpnGateway> {
    return this.m.findOneOrFail(VpnGateway, { where: { id }, ...(withAddress && { relations: { externalIp: true } }) });
  }

  peer(id: string): Promise<PeerGateway> {
    return this.m.findOneOrFail(PeerGateway, { where: { id } });
  }

  async vpcWithSubnets(vpcId: string): Promise<{ id: string; cidr: string; subnets: Subnet[] }> {
    const [vpc, subnets] = await Promise.all([this.m.findOneOrFail(Vpc, { where: { id: vpcId } }), this.m.find(Subnet, { where: { vpcId } })]);
    return { id: vpc.id, cidr: vpc.cidr, subnets };
  }

  /** The gateway's row, locked (first in the lock order gateway -> peer -> tunnel), or null when gone. */
  lockGateway(id: string): Promise<VpnGateway | null> {
    return this.m.createQueryBuilder(VpnGateway, 'g').setLock('pessimistic_write').where('g.id = :id', { id }).getOne();
  }

  /** The peer's row, locked (after its gateways'), or null when gone. */
  lockPeer(id: string): Promise<PeerGateway | null> {
    return this.m.createQueryBuilder(PeerGateway, 'p').setLock('pessimistic_write').where('p.id = :id', { id }).getOne();
  }

  /** The tunnel's row, locked (after its gateway's and peer's). */
  lockTunnel(tenantId: string, id: string): Promise<VpnTunnel | null> {
    return this.m.createQueryBuilder(VpnTunnel, 't').setLock('pessimistic_write').where('t.id = :id AND t.tenant_id = :tenantId', { id, tenantId }).getOne();
  }

  /** The tunnels of these ids, locked, in id order (after every gateway and peer lock). */
  lockTunnels(ids: string[]): Promise<VpnTunnel[]> {
    return ids.length
      ? this.m.createQueryBuilder(VpnTunnel, 't').setLock('pessimistic_write').where('t.id IN (:...ids)', { ids }).orderBy('t.id').getMany()
      : Promise.resolve([]);
  }

  /** Which gateway a tenant's tunnel is on (read before locking that gateway), or null. */
  gatewayRef(tenantId: string, id: string): Promise<Pick<VpnTunnel, 'id' | 'gatewayId'> | null> {
    return this.m.findOne(VpnTunnel, { where: { id, tenantId }, select: { id: true, gatewayId: true } });
  }

  /** A tenant's tunnels of these ids with their gateways, in id order. */
  withGateways(tenantId: string, ids: string[]): Promise<VpnTunnel[]> {
    return this.m.find(VpnTunnel, { where: { id: In(ids.length ? ids : ['']), tenantId }, relations: { gateway: true }, order: { id: 'ASC' } });
  }

  /** A new tunnel, counted on its gateway and peer (whose rows the caller holds locked). */
  async insert(row: Partial<VpnTunnel> & Pick<VpnTunnel, 'id' | 'gatewayId' | 'peerId'>): Promise<void> {
    await this.m.insert(VpnTunnel, row);
  }

  async countOn(gatewayId: string, peerId: string): Promise<void> {
    await this.m.increment(VpnGateway, { id: gatewayId }, 'tunnelCount', 1);
    await this.m.increment(PeerGateway, { id: peerId }, 'tunnelCount', 1);
  }

  /** Updates a tenant's tunnel; false when there is none. */
  async update(tenantId: string, id: string, patch: Partial<VpnTunnel>): Promise<boolean> {
    const result = await this.m.update(VpnTunnel, { id, tenantId }, patch);
    return !!result.affected;
  }

  /**
   * Two tunnels of one gateway towards the same peer address with the same (local id, remote id)
   * cannot both come up: charon picks the IKE config (and the PSK) by addresses and ids, so the
   * second tunnel's CHILD_SA lands on the first one's IKE SA and is refused. Checked under the
   * gateway's row lock.
   */
  async assertIdentityFree(gatewayId: string, peerIp: string, ike: IkePolicy, exceptTunnelId?: string, field = 'ikePolicy.remoteId'): Promise<void> {
    const clash: { id: string; name: string }[] = await this.m.query(
      `SELECT t.id, t.name FROM vpn_tunnels t JOIN peer_gateways p ON p.id = t.peer_id
        WHERE t.gateway_id = $1 AND p.ip_address = $2 AND t.ike_policy->>'localId' = $3 AND t.ike_policy->>'remoteId' = $4
          AND ($5::varchar IS NULL OR t.id <> $5) LIMIT 1`,
      [gatewayId, peerIp, ike.localId, ike.remoteId, exceptTunnelId ?? null],
    );
    if (clash.length) {
      const message =
        `tunnel ${clash[0].id} (${clash[0].name}) already connects this gateway to ${peerIp} with local id ${ike.localId} and remote id ${ike.remoteId}: ` +
        'add the subnets to that tunnel, or give this one different IKE ids';
      throw new Conflict('ike_identity_in_use', message, [violation(field, 'ike_identity_unique_per_gateway_and_peer', ike.remoteId, message)]);
    }
  }
}

/** The (local subnet, remote CIDR) pairs of tunnels: unique per VPC (the spec's routing rule). */
export class TunnelPairs {
  constructor(private readonly m: EntityManager) {}

  async claim(vpcId: string, tunnelId: string, s: TunnelSubnets): Promise<void> {
    const taken = await this.m.find(TunnelPair, {
      where: { vpcId, localSubnetId: In(s.localSubnetIds), remoteCidr: In(s.remoteCidrs), tunnelId: Not(tunnelId) },
      order: { localSubnetId: 'ASC', remoteCidr: 'ASC' },
    });
    if (taken.length) {
      const problems = taken.map((p) => {
        const local = s.localCidrs[s.localSubnetIds.indexOf(p.localSubnetId)];
        return violation(
          'remoteCidrs',
          'pair_unique_in_vpc',
          p.remoteCidr,
          `the pair ${local} -> ${p.remoteCidr} is already used by tunnel ${p.tunnelId} in this VPC`,
        );
      });
      throw new Conflict('pair_in_use', problems.map((p) => p.message).join('; '), problems);
    }
    const rows = s.localSubnetIds.flatMap((localSubnetId) => s.remoteCidrs.map((remoteCidr) => ({ vpcId, localSubnetId, remoteCidr, tunnelId })));
    try {
      await this.m.insert(TunnelPair, rows);
    } catch (err) {
      // A concurrent create claimed a pair between our check and our insert.
      if ((err as { code?: string }).code === '23505') {
        throw new Conflict('pair_in_use', 'a (local subnet, remote CIDR) pair of this tunnel was just taken by another tunnel in this VPC', [
          violation('remoteCidrs', 'pair_unique_in_vpc', s.remoteCidrs, 'a pair of this tunnel is already used by another tunnel in this VPC'),
        ]);
      }
      throw err;
    }
  }

  async replace(vpcId: string, tunnelId: string, s: TunnelSubnets): Promise<void> {
    await this.m.delete(TunnelPair, { tunnelId });
    await this.claim(vpcId, tunnelId, s);
  }
}

/** The last step of deleting a tunnel, shared with the worker: counts down, row (and pairs) gone. */
export async function finalizeTunnelDeletion(m: EntityManager, tunnelId: string): Promise<void> {
  const t = await m.findOne(VpnTunnel, { where: { id: tunnelId } });
  if (!t) return;
  await m.createQueryBuilder(VpnGateway, 'g').setLock('pessimistic_write').where('g.id = :id', { id: t.gatewayId }).getOne();
  await m.createQueryBuilder(PeerGateway, 'p').setLock('pessimistic_write').where('p.id = :id', { id: t.peerId }).getOne();
  await m.delete(VpnTunnel, { id: tunnelId });
  await m.decrement(VpnGateway, { id: t.gatewayId }, 'tunnelCount', 1);
  await m.decrement(PeerGateway, { id: t.peerId }, 'tunnelCount', 1);
}
