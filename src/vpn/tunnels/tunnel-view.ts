import { Subnet } from '../../inventory/inventory.entities';
import { TunnelDto } from './tunnel.dto';
import { VpnTunnel } from './vpn-tunnel.entity';

/** The API's view of a tunnel (never the PSK unless passed explicitly). */
export function tunnelView(t: VpnTunnel, subnets: Map<string, Subnet>, psk?: string): TunnelDto {
  return {
    id: t.id,
    name: t.name,
    remark: t.remark,
    gateway: { id: t.gatewayId, name: t.gateway?.name ?? '', ip: t.gateway?.externalIp?.address ?? '' },
    peer: { id: t.peerId, name: t.peer?.name ?? '', ip: t.peer?.ipAddress ?? '' },
    localSubnets: t.localSubnetIds.map((id) => ({ id, name: subnets.get(id)?.name ?? '', cidr: subnets.get(id)?.cidr ?? '' })),
    remoteCidrs: t.remoteCidrs,
    ikePolicy: t.ikePolicy,
    ipsecPolicy: t.ipsecPolicy,
    resourceState: t.resourceState,
    connectionState: t.connectionState,
    failure: t.failureCode ? { code: t.failureCode, message: t.failureMessage ?? '' } : null,
    configVersion: t.configVersion,
    alertTemplateId: t.alertTemplateId,
    connectedAt: t.connectedAt,
    stateChangedAt: t.stateChangedAt,
    createdAt: t.createdAt,
    ...(psk !== undefined && { psk }),
  };
}
