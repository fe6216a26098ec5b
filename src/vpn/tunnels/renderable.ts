import { RenderableTunnel } from '../../strongswan/tunnel-model';
import { VpnTunnel } from './vpn-tunnel.entity';
import { tunnelOptionsOf } from '../../policy/tunnel-options';

/** A stored tunnel (with gateway.externalIp and peer loaded) as the strongSwan renderers need it. */
export function toRenderable(t: VpnTunnel, cidrOfSubnet: (id: string) => string | undefined, psk: string): RenderableTunnel {
  return {
    id: t.id,
    name: t.name,
    gatewayIp: t.gateway!.externalIp!.address,
    peerIp: t.peer!.ipAddress,
    localCidrs: t.localSubnetIds.map(cidrOfSubnet).filter((c): c is string => !!c),
    remoteCidrs: t.remoteCidrs,
    psk,
    ike: t.ikePolicy,
    ipsec: t.ipsecPolicy,
    initiatorMode: t.initiatorMode,
    options: tunnelOptionsOf(t),
  };
}
