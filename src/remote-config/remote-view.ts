// The tunnel seen from the remote device (the peer gateway), which is the point of view of every
// vendor file, plus the facts all vendor renderers share: the checklist in each file's header,
// netmasks, names. Pure: no framework, no I/O.
import { maskOf, parseCidr, intToIp, isIpv4 } from '../common/cidr';
import { DH_KEYWORD, DhGroup, PfsGroup, isAead } from '../policy/policy';
import { RenderableTunnel, commentSafe, connName, isAnyPeer, optionsOf, platformDpdNote } from '../strongswan/tunnel-model';

export interface RemoteView {
  /** This device's public address, or null when the peer gateway is 0.0.0.0 (dynamic address). */
  myAddress: string | null;
  myId: string; // the tunnel's remoteId: what this device must send as its IKE identity
  mySubnets: string[]; // the tunnel's remote CIDRs: behind this device
  platformAddress: string; // the platform's VPN gateway (external IP)
  platformId: string; // the tunnel's localId
  platformSubnets: string[]; // the tunnel's local (VPC) subnets
}

export function remoteView(t: RenderableTunnel): RemoteView {
  return {
    myAddress: isAnyPeer(t) ? null : t.peerIp,
    myId: t.ike.remoteId,
    mySubnets: t.remoteCidrs,
    platformAddress: t.gatewayIp,
    platformId: t.ike.localId,
    platformSubnets: t.localCidrs,
  };
}

export function idIsIp(id: string): boolean {
  return isIpv4(id);
}

/** `10.0.192.0/20` -> { network: '10.0.192.0', mask: '255.255.240.0', wildcard: '0.0.15.255', prefix: 20 } */
export function cidrParts(cidr: string): { network: string; mask: string; wildcard: string; prefix: number } {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not a CIDR: ${cidr}`);
  const mask = maskOf(c.prefix) >>> 0;
  return { network: intToIp(c.network), mask: intToIp(mask), wildcard: intToIp(~mask >>> 0), prefix: c.prefix };
}

/** Every (mine, platform's) subnet pair: one ACL line (Cisco, Huawei) per pair. */
export function remotePairs(v: RemoteView): { mine: string; theirs: string }[] {
  return v.mySubnets.flatMap((mine) => v.platformSubnets.map((theirs) => ({ mine, theirs })));
}

/** One line naming the DH group both ways, for comments. */
export function dhLabel(g: DhGroup | PfsGroup): string {
  return g === 'disable' ? 'off' : `group ${g} (${DH_KEYWORD[g]})`;
}

/**
 * The checklist every vendor file starts with (without the comment marker): reachability of both
 * ends, the ports and protocols a firewall in between must pass, routes and NAT exemption on this
 * side, who initiates.
 */
export function checklist(t: RenderableTunnel): string[] {
  const v = remoteView(t);
  const lines = [
    `Tunnel "${commentSafe(t.name)}" (${t.id}): this file is for YOUR device (the peer gateway), talking to the`,
    `platform's VPN gateway ${v.platformAddress} (IKE id ${v.platformId}).`,
    'Before loading it, check:',
    `- ${v.platformAddress} is reachable from this device, and UDP 500 and 4500 are open both ways on every firewall in between;`,
    t.ipsec.protocol === 'ah'
      ? '- AH (IP protocol 51) is allowed both ways. AH cannot pass through NAT: no NAT may sit between the two gateways.'
      : '- ESP (IP protocol 50) is allowed both ways when no NAT is in between (behind NAT, ESP travels in UDP 4500: NAT-T);',
    `- this side routes the platform's subnets ${v.platformSubnets.join(', ')} to this device (and from it towards the internet),`,
    `  and the hosts of ${v.mySubnets.join(', ')} use this device as their way to those subnets;`,
    '- traffic between those subnets is exempt from any source NAT / PAT on this device;',
    v.myAddress
      ? `- this device's public address is ${v.myAddress} and it identifies itself as ${v.myId} (behind NAT: keep the id, the address may differ);`
      : `- the peer gateway is 0.0.0.0 (any address): only this device can start the tunnel; it must identify itself as ${v.myId};`,
    ...(!isAnyPeer(t) && t.initiatorMode === 'response-only'
      ? ['- the tunnel is response-only: the platform never initiates, so this device must start it (and bring it back);']
      : []),
    ...platformDpdNote(t).map((l) => `- ${l};`),
    `- the pre-shared key is in this file: keep the file private and delete it once the key is configured.`,
    `IKE ${t.ike.version}${t.ike.exchangeMode ? ` (${t.ike.exchangeMode} mode)` : ''}, phase 1 ${t.ike.encryptionAlgorithm}/${isAead(t.ike.encryptionAlgorithm) ? 'prf ' : ''}${t.ike.authAlgorithm}/DH ${dhLabel(t.ike.dhGroup)}, ${t.ike.lifetimeSeconds} s;`,
    `phase 2 ${t.ipsec.protocol}${t.ipsec.encryptionAlgorithm ? ` ${t.ipsec.encryptionAlgorithm}` : ''}${t.ipsec.authAlgorithm ? `/${t.ipsec.authAlgorithm}` : ''}, PFS ${dhLabel(t.ipsec.pfsGroup)}, ${t.ipsec.lifetimeSeconds} s.`,
  ];
  return lines;
}

/**
 * A router's DPD (Cisco IOS, Huawei VRP: interval 10-3600 s, retry interval 2-60 s) from the
 * tunnel's. DPD is each end's own (nothing is negotiated), so the router gets the nearest it has;
 * `note` says so when that differs from the platform's timers.
 */
export function routerDpd(t: RenderableTunnel): { interval: number; retry: number; note: string | null } {
  const { delaySeconds, timeoutSeconds } = optionsOf(t).dpd;
  const interval = Math.min(3600, Math.max(10, delaySeconds));
  const retry = Math.min(60, Math.max(2, timeoutSeconds - delaySeconds));
  const note =
    interval !== delaySeconds
      ? `DPD: the platform checks after ${delaySeconds} s idle and declares the peer dead after ${timeoutSeconds} s; this device's shortest DPD interval is 10 s. DPD is each end's own: the tunnel works with both.`
      : null;
  return { interval, retry, note };
}

/** Lines behind a comment marker (`#`, `!`). */
export function commentBlock(marker: string, lines: string[]): string[] {
  return lines.map((l) => (l ? `${marker} ${l}` : marker));
}

/** `ipsvpn_<id>`: the same object name as in charon's logs and the strongSwan files. */
export function objectName(t: RenderableTunnel): string {
  return connName(t.id);
}
