import type { SubnetRef } from './tunnels.queries';
import { TunnelDto } from './tunnel.dto';
import { ANY_PEER } from '../../strongswan/tunnel-model';
import { VpnTunnel } from './vpn-tunnel.entity';
import { tenantFailureMessage } from '../tenant-reasons';
import { weakChoices } from '../../policy/policy';
import { WAITING_FOR_REMOTE } from '../../strongswan/failure-reasons';
import { tunnelOptionsOf } from '../../policy/tunnel-options';

/** The tunnel's own columns its view reads. */
type ViewedColumns = Pick<
  VpnTunnel,
  | 'id'
  | 'name'
  | 'remark'
  | 'gatewayId'
  | 'peerId'
  | 'localSubnetIds'
  | 'remoteCidrs'
  | 'ikePolicy'
  | 'ipsecPolicy'
  | 'initiatorMode'
  | 'dpd'
  | 'ikeFragmentation'
  | 'tcpMssClamp'
  | 'resourceState'
  | 'connectionState'
  | 'failureCode'
  | 'failureMessage'
  | 'failurePhase'
  | 'failureTries'
  | 'failureAt'
  | 'pairStates'
  | 'configVersion'
  | 'alertTemplateId'
  | 'connectedAt'
  | 'disconnectedAt'
  | 'stateChangedAt'
  | 'createdAt'
>;

/** What a list row carries for its view: the tunnel's viewed columns, its gateway's and peer's name and address. */
export type TunnelViewColumns = ViewedColumns & {
  /** What the view shows of the tunnel's gateway and peer ('' when not loaded). */
  gatewayName: string;
  gatewayIp: string;
  peerName: string;
  peerIp: string;
};

/** The API's view of a tunnel (never the PSK unless passed explicitly). */
export function tunnelView(t: VpnTunnel, subnets: Map<string, SubnetRef>, psk?: string): TunnelDto {
  return viewOf(t, t.gateway?.name ?? '', t.gateway?.externalIp?.address ?? '', t.peer?.name ?? '', t.peer?.ipAddress ?? '', subnets, psk);
}

/** A list row's view, and a create's answer: the same as `tunnelView` of the tunnel, built from the row as read (or just inserted). */
export function tunnelListView(r: TunnelViewColumns, subnets: Map<string, SubnetRef>): TunnelDto {
  return viewOf(r, r.gatewayName ?? '', r.gatewayIp ?? '', r.peerName ?? '', r.peerIp ?? '', subnets);
}

function viewOf(
  t: ViewedColumns,
  gatewayName: string,
  gatewayIp: string,
  peerName: string,
  peerIp: string,
  subnets: Map<string, SubnetRef>,
  psk?: string,
): TunnelDto {
  return {
    id: t.id,
    name: t.name,
    remark: t.remark,
    gateway: { id: t.gatewayId, name: gatewayName, ip: gatewayIp },
    peer: { id: t.peerId, name: peerName, ip: peerIp },
    localSubnets: t.localSubnetIds.map((id) => ({ id, name: subnets.get(id)?.name ?? '', cidr: subnets.get(id)?.cidr ?? '' })),
    remoteCidrs: t.remoteCidrs,
    // Stored without the key when there is one proposal; the API always lists them.
    ikePolicy: { ...t.ikePolicy, additionalProposals: t.ikePolicy.additionalProposals ?? [] },
    ipsecPolicy: { ...t.ipsecPolicy, additionalProposals: t.ipsecPolicy.additionalProposals ?? [] },
    initiatorMode: t.initiatorMode,
    ...tunnelOptionsOf(t),
    weak: weakChoices(t.ikePolicy, t.ipsecPolicy),
    resourceState: t.resourceState,
    connectionState: t.connectionState,
    failure: failureView(t, peerIp),
    configVersion: t.configVersion,
    alertTemplateId: t.alertTemplateId,
    connectedAt: t.connectedAt,
    disconnectedAt: t.disconnectedAt,
    subnetPairs: subnetPairsView(t, subnets),
    stateChangedAt: t.stateChangedAt,
    createdAt: t.createdAt,
    ...(psk !== undefined && { psk }),
  };
}

function failureView(t: ViewedColumns, peerIp: string): TunnelDto['failure'] {
  if (t.failureCode)
    return {
      code: t.failureCode,
      message: tenantFailureMessage(t.failureCode, t.failureMessage) ?? '',
      phase: t.failurePhase ?? 1,
      tries: t.failureTries ?? 0,
      at: t.failureAt,
    };
  // A 0.0.0.0 peer or a response-only tunnel is never initiated: until the remote does, say so and when it was last there.
  const anyPeer = peerIp === ANY_PEER;
  if ((anyPeer || t.initiatorMode === 'response-only') && t.connectionState === 'connecting' && t.resourceState === 'running') {
    const lastSeen = t.disconnectedAt ? `last connected ${t.disconnectedAt.toISOString()}` : 'it has not connected yet';
    const why = anyPeer ? 'the peer gateway is 0.0.0.0, so the platform cannot' : 'the tunnel is response-only, so the platform does not';
    return {
      code: WAITING_FOR_REMOTE,
      phase: 1,
      tries: 0,
      at: t.disconnectedAt,
      message: `Waiting for the remote to initiate (${why}): ${lastSeen}. Check that the remote device is up and configured with this tunnel.`,
    };
  }
  return null;
}

function subnetPairsView(t: ViewedColumns, subnets: Map<string, SubnetRef>): TunnelDto['subnetPairs'] {
  const locals = t.localSubnetIds.map((id) => subnets.get(id)?.cidr ?? '');
  const pairs = locals.flatMap((localCidr) => t.remoteCidrs.map((remoteCidr) => ({ localCidr, remoteCidr })));
  const isUp = (p: { localCidr: string; remoteCidr: string }) =>
    t.pairStates ? t.pairStates.some((s) => s.up && s.local === p.localCidr && s.remote === p.remoteCidr) : t.connectionState === 'connected';
  const down = pairs.filter((p) => !isUp(p));
  return { total: pairs.length, up: pairs.length - down.length, down };
}
