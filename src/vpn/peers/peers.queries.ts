import { DataSource, EntityManager, In, Not } from 'typeorm';
import { pageQuery } from '../../common/list.queries';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { managerOf } from '../../database/manager';
import { keysetRawRows } from '../../exports/keyset.queries';
import type { PeerExportRow } from '../vpn-sheets';
import { ExternalIp } from '../../inventory/external-ip.entity';
import { VpnTunnel } from '../tunnels/vpn-tunnel.entity';
import { PeerGateway } from './peer-gateway.entity';

export const PEER_SORT = { createdAt: 'p.created_at', name: 'p.name', ipAddress: 'p.ip_address', tunnelCount: 'p.tunnel_count' };
const PEER_SEARCH = ['p.name', 'p.id', 'p.ip_address'];

/** What PeersService reads and writes. */
export class PeerQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  private filtered(tenantId: string) {
    return this.m.getRepository(PeerGateway).createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId });
  }

  list(tenantId: string, q: ResolvedListQuery): Promise<Page<PeerGateway>> {
    return pageQuery(this.filtered(tenantId), q, PEER_SEARCH);
  }

  /** Every peer the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery): AsyncIterable<PeerExportRow> {
    return keysetRawRows<PeerExportRow>(
      () =>
        this.filtered(tenantId)
          .select('p.id', 'id')
          .addSelect('p.name', 'name')
          .addSelect('p.ip_address', 'ipAddress')
          .addSelect('p.tunnel_count', 'tunnelCount')
          .addSelect('p.created_at', 'createdAt'),
      q,
      PEER_SEARCH,
    );
  }

  find(tenantId: string, id: string): Promise<PeerGateway | null> {
    return this.m.findOne(PeerGateway, { where: { id, tenantId } });
  }

  /** Whether the address is an external IP the platform gave another tenant. */
  isOtherTenantsExternalIp(tenantId: string, address: string): Promise<boolean> {
    return this.m.exists(ExternalIp, { where: { address, tenantId: Not(tenantId) } });
  }

  async insert(row: Pick<PeerGateway, 'id' | 'tenantId' | 'name' | 'remark' | 'ipAddress' | 'tunnelCount'>): Promise<void> {
    await this.m.insert(PeerGateway, this.m.create(PeerGateway, row));
  }

  /** Updates a tenant's peer; false when there is none. */
  async update(tenantId: string, id: string, patch: Partial<PeerGateway>): Promise<boolean> {
    const result = await this.m.update(PeerGateway, { id, tenantId }, patch);
    return !!result.affected;
  }

  /** A tenant's peers of these ids, locked in id order. */
  lockTenantPeers(tenantId: string, ids: string[]): Promise<PeerGateway[]> {
    return this.m
      .createQueryBuilder(PeerGateway, 'p')
      .setLock('pessimistic_write')
      .where('p.tenant_id = :tenantId AND p.id IN (:...ids)', { tenantId, ids: ids.length ? ids : [''] })
      .orderBy('p.id')
      .getMany();
  }

  /** The tunnels (id, name, peer) of these peers, in id order. */
  tunnelsOf(peerIds: string[]): Promise<Pick<VpnTunnel, 'id' | 'name' | 'peerId'>[]> {
    return this.m.find(VpnTunnel, { where: { peerId: In(peerIds) }, select: { id: true, name: true, peerId: true }, order: { id: 'ASC' } });
  }

  async delete(tenantId: string, ids: string[]): Promise<void> {
    await this.m.delete(PeerGateway, { id: In(ids), tenantId });
  }
}
