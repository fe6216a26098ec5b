import { EntityManager, In, Not } from 'typeorm';
import { Conflict } from '../../common/errors';
import { violation } from '../../common/violations';
import { VpnGateway } from '../gateways/vpn-gateway.entity';
import { PeerGateway } from '../peers/peer-gateway.entity';
import { TunnelSubnets } from './tunnel-rules';
import { TunnelPair, VpnTunnel } from './vpn-tunnel.entity';

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
        return violation('remoteCidrs', 'pair_unique_in_vpc', p.remoteCidr, `the pair ${local} -> ${p.remoteCidr} is already used by tunnel ${p.tunnelId} in this VPC`);
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
