import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Not, Repository } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors';
import { ID_PREFIX, newId } from '../../common/ids';
import { pageQuery } from '../../common/list';
import { keysetRawRows } from '../../exports/keyset';
import type { PeerExportRow } from '../../exports/vpn-sheets';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { VpnTunnel } from '../tunnels/vpn-tunnel.entity';
import { UpdateNameRemarkDto } from '../gateways/gateway.dto';
import { CreatePeerDto, PeerDto } from './peer.dto';
import { PeerGateway } from './peer-gateway.entity';
import { checkPeerIp } from './peer-rules';
import { ExternalIp } from '../../inventory/inventory.entities';

export const PEER_SORT = { createdAt: 'p.created_at', name: 'p.name', ipAddress: 'p.ip_address', tunnelCount: 'p.tunnel_count' };
const PEER_SEARCH = ['p.name', 'p.id', 'p.ip_address'];

export const peerView = (p: PeerGateway): PeerDto => ({
  id: p.id, name: p.name, remark: p.remark, ipAddress: p.ipAddress, tunnelCount: p.tunnelCount, createdAt: p.createdAt,
});

@Injectable()
export class PeersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(PeerGateway) private readonly peers: Repository<PeerGateway>,
  ) {}

  private filtered(tenantId: string) {
    return this.peers.createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId });
  }

  list(tenantId: string, q: ResolvedListQuery): Promise<Page<PeerGateway>> {
    return pageQuery(this.filtered(tenantId), q, PEER_SEARCH);
  }

  /** Every peer the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery): AsyncIterable<PeerExportRow> {
    return keysetRawRows<PeerExportRow>(() => this.filtered(tenantId).select('p.id', 'id').addSelect('p.name', 'name').addSelect('p.ip_address', 'ipAddress')
      .addSelect('p.tunnel_count', 'tunnelCount').addSelect('p.created_at', 'createdAt'), q, PEER_SEARCH);
  }

  async get(tenantId: string, id: string): Promise<PeerGateway> {
    const peer = await this.peers.findOne({ where: { id, tenantId } });
    if (!peer) throw new NotFound('peer gateway', id);
    return peer;
  }

  async create(tenantId: string, dto: CreatePeerDto): Promise<PeerGateway> {
    const problems = checkPeerIp(dto.ipAddress);
    // Another tenant's gateway address is not this tenant's remote site (its own are: VPC to VPC).
    if (!problems.length && (await this.peers.manager.exists(ExternalIp, { where: { address: dto.ipAddress, tenantId: Not(tenantId) } }))) {
      problems.push(violation('ipAddress', 'not_platform_address', dto.ipAddress, 'ipAddress is an external IP this platform gave another tenant: give the address of your remote VPN device'));
    }
    if (problems.length) throw new ValidationFailed(problems);
    const peer = this.peers.create({ id: newId(ID_PREFIX.peer), tenantId, name: dto.name, remark: dto.remark ?? '', ipAddress: dto.ipAddress, tunnelCount: 0 });
    await this.peers.insert(peer);
    return this.get(tenantId, peer.id);
  }

  async update(tenantId: string, id: string, dto: UpdateNameRemarkDto): Promise<PeerGateway> {
    const result = await this.peers.update({ id, tenantId }, { ...(dto.name !== undefined && { name: dto.name }), ...(dto.remark !== undefined && { remark: dto.remark }) });
    if (!result.affected) throw new NotFound('peer gateway', id);
    return this.get(tenantId, id);
  }

  /** All or nothing; a peer still used by a tunnel answers 409 naming the tunnels. */
  async remove(tenantId: string, ids: string[]): Promise<{ deleted: string[]; deleting: string[] }> {
    const unique = [...new Set(ids)];
    await this.db.transaction(async (m) => {
      const rows = await m.createQueryBuilder(PeerGateway, 'p').setLock('pessimistic_write')
        .where('p.tenant_id = :tenantId AND p.id IN (:...ids)', { tenantId, ids: unique.length ? unique : [''] }).orderBy('p.id').getMany();
      const notFound = unique.filter((id) => !rows.some((r) => r.id === id));
      if (notFound.length) {
        if (unique.length === 1) throw new NotFound('peer gateway', notFound[0]);
        throw new ValidationFailed(notFound.map((id) => violation('ids', 'exists', id, `peer gateway ${id} does not exist`)));
      }
      const tunnels = await m.find(VpnTunnel, { where: { peerId: In(unique) }, select: { id: true, name: true, peerId: true }, order: { id: 'ASC' } });
      if (tunnels.length) {
        const problems = rows.filter((p) => tunnels.some((t) => t.peerId === p.id)).map((p) => {
          const names = tunnels.filter((t) => t.peerId === p.id).map((t) => `${t.id} (${t.name})`);
          return violation('id', 'no_tunnels', p.id, `peer gateway ${p.id} still has tunnels: ${names.join(', ')}; delete them first`);
        });
        throw new Conflict('peer_has_tunnels', problems.map((p) => p.message).join('; '), problems);
      }
      await m.delete(PeerGateway, { id: In(unique), tenantId });
    });
    return { deleted: unique, deleting: [] };
  }
}
