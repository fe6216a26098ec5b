import { RenderableTunnel } from '../../strongswan/tunnel-model';
import { VpnTunnel } from './vpn-tunnel.entity';
import { tunnelOptionsOf } from '../../policy/tunnel-options';

/** What the strongSwan renderers need of a stored tunnel: its columns, its gateway's and its peer's addresses. */
export type TunnelRenderSource = Pick<
  VpnTunnel,
  'id' | 'name' | 'localSubnetIds' | 'remoteCidrs' | 'ikePolicy' | 'ipsecPolicy' | 'initiatorMode' | 'dpd' | 'ikeFragmentation' | 'tcpMssClamp'
> & { gatewayIp: string; peerIp: string };

/** A stored tunnel loaded with gateway.externalIp and peer, as a render source. */
export function renderSourceOf(t: VpnTunnel): TunnelRenderSource {
  return { ...t, gatewayIp: t.gateway!.externalIp!.address, peerIp: t.peer!.ipAddress };
}

/** A stored tunnel as the strongSwan renderers need it. */
export function toRenderable(t: TunnelRenderSource, cidrOfSubnet: (id: string) => string | undefined, psk: string): RenderableTunnel {
  return {
    id: t.id,
    name: t.name,
    gatewayIp: t.gatewayIp,
    peerIp: t.peerIp,
    localCidrs: t.localSubnetIds.map(cidrOfSubnet).filter((c): c is string => !!c),
    remoteCidrs: t.remoteCidrs,
    psk,
    ike: t.ikePolicy,
    ipsec: t.ipsecPolicy,
    initiatorMode: t.initiatorMode,
    options: tunnelOptionsOf(t),
  };
}
