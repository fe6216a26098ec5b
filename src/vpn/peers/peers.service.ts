import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors';
import { ID_PREFIX, newId } from '../../common/ids';
import type { PeerExportRow } from '../vpn-sheets';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { UpdateNameRemarkDto } from '../gateways/gateway.dto';
import { CreatePeerDto, PeerDto } from './peer.dto';
import { PeerGateway } from './peer-gateway.entity';
import { checkPeerIp } from './peer-rules';
import { PeerQueries } from './peers.queries';

export const peerView = (p: PeerGateway): PeerDto => ({
  id: p.id,
  name: p.name,
  remark: p.remark,
  ipAddress: p.ipAddress,
  tunnelCount: p.tunnelCount,
  createdAt: p.createdAt,
});

@Injectable()
export class PeersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  list(tenantId: string, q: ResolvedListQuery): Promise<Page<PeerGateway>> {
    return new PeerQueries(this.db).list(tenantId, q);
  }

  /** Every peer the list would show, in its order, a page at a time: the Excel export's columns only. */
  exportRows(tenantId: string, q: ResolvedListQuery): AsyncIterable<PeerExportRow> {
    return new PeerQueries(this.db).exportRows(tenantId, q);
  }

  async get(tenantId: string, id: string): Promise<PeerGateway> {
    const peer = await new PeerQueries(this.db).find(tenantId, id);
    if (!peer) throw new NotFound('peer gateway', id);
    return peer;
  }

  async create(tenantId: string, dto: CreatePeerDto): Promise<PeerGateway> {
    const rows = new PeerQueries(this.db);
    const problems = checkPeerIp(dto.ipAddress);
    // Another tenant's gateway address is not this tenant's remote site (its own are: VPC to VPC).
    if (!problems.length && (await rows.isOtherTenantsExternalIp(tenantId, dto.ipAddress))) {
      problems.push(
        violation(
          'ipAddress',
          'not_platform_address',
          dto.ipAddress,
          'ipAddress is an external IP this platform gave another tenant: give the address of your remote VPN device',
        ),
      );
    }
    if (problems.length) throw new ValidationFailed(problems);
    const id = newId(ID_PREFIX.peer);
    await rows.insert({ id, tenantId, name: dto.name, remark: dto.remark ?? '', ipAddress: dto.ipAddress, tunnelCount: 0 });
    return this.get(tenantId, id);
  }

  async update(tenantId: string, id: string, dto: UpdateNameRemarkDto): Promise<PeerGateway> {
    const found = await new PeerQueries(this.db).update(tenantId, id, {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.remark !== undefined && { remark: dto.remark }),
    });
    if (!found) throw new NotFound('peer gateway', id);
    return this.get(tenantId, id);
  }

  /** All or nothing; a peer still used by a tunnel answers 409 naming the tunnels. */
  async remove(tenantId: string, ids: string[]): Promise<{ deleted: string[]; deleting: string[] }> {
    const unique = [...new Set(ids)];
    await this.db.transaction(async (m) => {
      const tx = new PeerQueries(m);
      const rows = await tx.lockTenantPeers(tenantId, unique);
      const notFound = unique.filter((id) => !rows.some((r) => r.id === id));
      if (notFound.length) {
        if (unique.length === 1) throw new NotFound('peer gateway', notFound[0]);
        throw new ValidationFailed(notFound.map((id) => violation('ids', 'exists', id, `peer gateway ${id} does not exist`)));
      }
      const tunnels = await tx.tunnelsOf(unique);
      if (tunnels.length) {
        const problems = rows
          .filter((p) => tunnels.some((t) => t.peerId === p.id))
          .map((p) => {
            const names = tunnels.filter((t) => t.peerId === p.id).map((t) => `${t.id} (${t.name})`);
            return violation('id', 'no_tunnels', p.id, `peer gateway ${p.id} still has tunnels: ${names.join(', ')}; delete them first`);
          });
        throw new Conflict('peer_has_tunnels', problems.map((p) => p.message).join('; '), problems);
      }
      await tx.delete(tenantId, unique);
    });
    return { deleted: unique, deleting: [] };
  }
}
