// What the strongSwan renderers need to know about one tunnel, and the facts both renderers share
// (names, subnet pairs, timers) so the VICI config and the downloadable ipsec.conf never drift.
// Pure: no framework, no I/O.
import { isFqdn, isIpv4, normalizeCidr } from '../common/cidr';
import { IkePolicy, IpsecPolicy } from '../policy/policy';
import { DEFAULT_TUNNEL_OPTIONS, TunnelOptions } from '../policy/tunnel-options';

export interface RenderableTunnel {
  id: string; // e.g. 'vpntnl-k3j9x2ab': used in conn and child names
  name: string; // user text: only ever rendered inside a sanitised comment
  gatewayIp: string; // the VPN gateway's external (public) IP
  peerIp: string; // the peer gateway's IP; '0.0.0.0' = any peer (the remote must initiate)
  localCidrs: string[]; // the tunnel's local (VPC) subnets, normalised
  remoteCidrs: string[]; // remote subnets, normalised
  psk: string; // plaintext, in memory only: never logged, never in an error message
  ike: IkePolicy; // ids already resolved (localId, remoteId)
  ipsec: IpsecPolicy;
  /** response-only: the platform never initiates, even towards a known peer (default bidirectional). */
  initiatorMode?: InitiatorMode;
  /** DPD, IKE fragmentation, TCP MSS clamp (default: DEFAULT_TUNNEL_OPTIONS). */
  options?: TunnelOptions;
}

/** The tunnel's options, the defaults where it has none. */
export function optionsOf(t: RenderableTunnel): TunnelOptions {
  return t.options ?? DEFAULT_TUNNEL_OPTIONS;
}

export const INITIATOR_MODES = ['bidirectional', 'response-only'] as const;
export type InitiatorMode = (typeof INITIATOR_MODES)[number];

export const ANY_PEER = '0.0.0.0';

/** strongSwan's default margintime (9 min): the starter rekeys this long before the hard lifetime. */
export const REKEY_MARGIN_SECONDS = 540;

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/**
 * A vendor's configuration language has no way to say one of the tunnel's settings (e.g. a cipher
 * the device does not offer). The message names the setting and the vendor; the API answers 409.
 */
export class NotExpressible extends RenderError {
  constructor(vendor: string, what: string) {
    super(`${vendor} cannot express ${what}: choose another setting for this tunnel, or another vendor's file`);
    this.name = 'NotExpressible';
  }
}

/** `map[key]`, or NotExpressible naming `what` when the vendor has no keyword for it. */
export function keyword<K extends string | number>(vendor: string, map: Partial<Record<K, string>>, key: K, what: string): string {
  const k = map[key];
  if (k === undefined) throw new NotExpressible(vendor, what);
  return k;
}

export function isAnyPeer(t: RenderableTunnel): boolean {
  return t.peerIp === ANY_PEER;
}

/**
 * The platform initiates only towards a known address and when the tunnel is not response-only;
 * otherwise it waits for the remote (which always starts the tunnel from our downloadable files).
 */
export function canInitiate(t: RenderableTunnel): boolean {
  return !isAnyPeer(t) && t.initiatorMode !== 'response-only';
}

/** `ipsvpn_<id>`, the seed's naming: the same name in charon's logs and in the remote's file. */
export function connName(tunnelId: string): string {
  return `ipsvpn_${tunnelId}`;
}

export interface SubnetPair {
  name: string; // child name (VICI) = conn name (ipsec.conf)
  local: string;
  remote: string;
}

/**
 * IKEv1 negotiates one (local, remote) pair per CHILD_SA, so IKEv1 with several subnets becomes one
 * child per pair, named `<conn>-<n>` in row-major order (local first). One pair keeps the bare conn
 * name, like the seed's file. IKEv2 does not use this: one child carries every subnet.
 */
export function subnetPairs(t: RenderableTunnel): SubnetPair[] {
  const base = connName(t.id);
  const pairs = t.localCidrs.flatMap((local) => t.remoteCidrs.map((remote) => ({ local, remote })));
  if (pairs.length === 1) return [{ name: base, ...pairs[0] }];
  return pairs.map((p, i) => ({ name: `${base}-${i + 1}`, ...p }));
}

/** True when the tunnel is rendered as one child per subnet pair (IKEv1 with more than one pair). */
export function usesPairChildren(t: RenderableTunnel): boolean {
  return t.ike.version === 'v1' && t.localCidrs.length * t.remoteCidrs.length > 1;
}

/**
 * Timers as the starter derives them from ikelifetime/lifetime (margintime 9m, rekeyfuzz 100%):
 * rekey at lifetime - margin - random(0..margin), hard expiry at lifetime. Using the same numbers
 * over VICI makes the platform and a remote loading our ipsec.conf behave alike, and IKEv1 then
 * proposes exactly the configured lifetime (charon sends reauth_time + over_time).
 */
export function timers(lifetimeSeconds: number): { rekey: number; margin: number; life: number } {
  const margin = Math.min(REKEY_MARGIN_SECONDS, Math.floor(lifetimeSeconds / 4));
  return { rekey: lifetimeSeconds - margin, margin, life: lifetimeSeconds };
}

export function seconds(n: number): string {
  return `${n}s`;
}

const TUNNEL_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// Printable ASCII only: no whitespace or control characters can reach a config file.
const PSK_CHARS = /^[\x21-\x7e]{1,128}$/;

function isIdentity(id: string): boolean {
  return isIpv4(id) || isFqdn(id);
}

/**
 * Refuses anything that could break out of a config line (newlines, spaces, odd ids) or that
 * charon would reject later with a vaguer message. Never includes the PSK in the error.
 */
export function assertRenderable(t: RenderableTunnel): void {
  const problems: string[] = [];
  if (!TUNNEL_ID.test(t.id)) problems.push(`tunnel id '${t.id}' must be letters, digits, '-' or '_'`);
  if (!isIpv4(t.gatewayIp) || t.gatewayIp === ANY_PEER) problems.push(`gatewayIp '${t.gatewayIp}' is not an IPv4 address`);
  if (!isIpv4(t.peerIp)) problems.push(`peerIp '${t.peerIp}' is not an IPv4 address`);
  for (const [field, list] of [
    ['localCidrs', t.localCidrs],
    ['remoteCidrs', t.remoteCidrs],
  ] as const) {
    if (!list.length) problems.push(`${field} is empty`);
    for (const c of list) if (normalizeCidr(c) !== c) problems.push(`${field} entry '${c}' is not a normalised CIDR`);
  }
  if (!isIdentity(t.ike.localId)) problems.push(`ike.localId '${t.ike.localId}' is not an IPv4 address or FQDN`);
  if (!isIdentity(t.ike.remoteId) || t.ike.remoteId === ANY_PEER) {
    problems.push(`ike.remoteId '${t.ike.remoteId}' is not an IPv4 address or FQDN`);
  }
  if (!PSK_CHARS.test(t.psk)) problems.push('psk must be 1-128 printable ASCII characters without spaces');
  if (t.ipsec.protocol === 'esp' && !t.ipsec.encryptionAlgorithm) problems.push('ESP needs an encryption algorithm');
  if (problems.length) throw new RenderError(`cannot render tunnel ${TUNNEL_ID.test(t.id) ? t.id : '?'}: ${problems.join('; ')}`);
}

/** A user-supplied name made safe for a one-line `#` comment. */
export function commentSafe(text: string, max = 80): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * The MSS clamp for a Linux host's file (ipsec.conf, swanctl.conf, libreswan): neither strongSwan
 * nor libreswan has a keyword for it, so the file gives the rules that clamp the same way towards
 * `towards` (the other side's subnets). Comment text without the marker; empty when off.
 */
export function linuxMssClampNote(t: RenderableTunnel, towards: string[], sentence: string): string[] {
  const mss = optionsOf(t).tcpMssClamp;
  if (mss === null) return [];
  return [
    `TCP MSS clamp ${mss}: ${sentence}`,
    ...towards.flatMap((c) => [
      `  iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -d ${c} -j TCPMSS --set-mss ${mss}`,
      `  iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -s ${c} -j TCPMSS --set-mss ${mss}`,
    ]),
  ];
}

/** What the platform does on a dead peer when it does not simply initiate again: the remote must know. */
export function platformDpdNote(t: RenderableTunnel): string[] {
  const { action } = optionsOf(t).dpd;
  if (!canInitiate(t) || action === 'restart') return [];
  return [
    action === 'clear'
      ? 'after dead peer detection the platform drops the tunnel and waits (dpd action clear): this device must start it again'
      : 'after dead peer detection the platform waits for traffic from its side before initiating (dpd action hold): this device should start it again',
  ];
}

/** What the remote's own files say about the platform's clamp (every vendor's header). */
export const REMOTE_MSS_SENTENCE = "the platform's gateway clamps the MSS of TCP connections through this tunnel to it; clamp on this side too";
