// The spec's tunnel rules as pure functions (docs/spec.md, "VPN tunnel"): subnets and the pre-shared key.
import { isDeepStrictEqual } from 'node:util';
import { cidrsOverlap, hasHostBits, normalizeCidr, parseCidr, remoteCidrProblem } from '../../common/cidr';
import { Checked, Violation, violation } from '../../common/violations';
import type { VpnTunnel } from './vpn-tunnel.entity';
import { ANY_PEER, INITIATOR_MODES, InitiatorMode } from '../../strongswan/tunnel-model';
import { charonOptionsChanged, checkTunnelOptions, tunnelOptionsOf, TunnelOptionsInput } from '../../policy/tunnel-options';

export const MAX_TUNNELS_PER_GATEWAY = 20;
export const MAX_TUNNELS_PER_PEER = 20;
export const MAX_LOCAL_SUBNETS = 20;
export const MAX_REMOTE_CIDRS = 20;
export const PSK_MAX_LENGTH = 128;

/** Printable ASCII without space and `?` (the console's rule; `?` breaks some vendors' CLIs). */
const PSK_CHARSET = /^[\x21-\x3e\x40-\x7e]+$/;

export function checkPsk(psk: unknown, field = 'psk'): Violation[] {
  if (typeof psk !== 'string' || psk.length === 0) {
    return [violation(field, 'required', '<redacted>', `${field} is required: 1 to ${PSK_MAX_LENGTH} characters`)];
  }
  if (psk.length > PSK_MAX_LENGTH) {
    return [violation(field, 'max_length', '<redacted>', `${field} must be at most ${PSK_MAX_LENGTH} characters (got ${psk.length})`)];
  }
  if (!PSK_CHARSET.test(psk)) {
    // Name the offending character class, never the key itself.
    const bad = [...psk].find((c) => !PSK_CHARSET.test(c)) ?? '';
    const what = bad === ' ' ? 'a space' : bad === '?' ? "'?'" : 'a non-printable or non-ASCII character';
    return [
      violation(field, 'charset', '<redacted>', `${field} may use letters, digits and printable special characters except '?' and space; it contains ${what}`),
    ];
  }
  return [];
}

export interface VpcSubnetRef {
  id: string;
  cidr: string;
}

export interface TunnelSubnetsInput {
  localSubnetIds: unknown;
  remoteCidrs: unknown;
}

export interface TunnelSubnets {
  localSubnetIds: string[];
  localCidrs: string[];
  remoteCidrs: string[];
}

/**
 * Local subnets: 1..20 subnets of the gateway's VPC. Remote CIDRs: 1..20 valid CIDRs, host bits
 * cleared, no overlap within the list, with the local subnets, or with the VPC itself (instances
 * would send their own VPC's traffic into the tunnel).
 */
export function checkTunnelSubnets(input: TunnelSubnetsInput, vpc: { cidr: string; subnets: VpcSubnetRef[] }): Checked<TunnelSubnets> {
  const problems: Violation[] = [];
  const localIds = input.localSubnetIds;
  const remotes = input.remoteCidrs;
  const localCidrs: string[] = [];
  const remoteCidrs: string[] = [];

  if (!Array.isArray(localIds) || localIds.length < 1 || localIds.length > MAX_LOCAL_SUBNETS) {
    problems.push(violation('localSubnetIds', 'count_1_to_20', localIds, `localSubnetIds must list 1 to ${MAX_LOCAL_SUBNETS} subnets of the gateway's VPC`));
  } else {
    const seen = new Set<string>();
    localIds.forEach((id, i) => {
      const subnet = vpc.subnets.find((s) => s.id === id);
      if (typeof id !== 'string' || !subnet) {
        problems.push(violation(`localSubnetIds[${i}]`, 'subnet_of_gateway_vpc', id, `${String(id)} is not a subnet of the gateway's VPC`));
      } else if (seen.has(id)) {
        problems.push(violation(`localSubnetIds[${i}]`, 'no_duplicates', id, `${id} is listed twice`));
      } else {
        seen.add(id);
        localCidrs.push(subnet.cidr);
      }
    });
  }

  if (!Array.isArray(remotes) || remotes.length < 1 || remotes.length > MAX_REMOTE_CIDRS) {
    problems.push(violation('remoteCidrs', 'count_1_to_20', remotes, `remoteCidrs must list 1 to ${MAX_REMOTE_CIDRS} CIDRs`));
  } else {
    const vpcCidr = parseCidr(vpc.cidr);
    remotes.forEach((raw, i) => {
      const field = `remoteCidrs[${i}]`;
      const normal = typeof raw === 'string' ? normalizeCidr(raw) : null;
      if (!normal) {
        problems.push(violation(field, 'cidr', raw, `${String(raw)} is not a valid IPv4 CIDR such as 192.168.2.0/24`));
        return;
      }
      const cidr = parseCidr(normal)!;
      const unroutable = remoteCidrProblem(cidr);
      if (unroutable) {
        const why =
          unroutable.rule === 'not_default_route'
            ? `${normal} would send all traffic into the tunnel: list the remote site's subnets instead`
            : `${normal} overlaps ${unroutable.range} (${unroutable.rule.slice(4).replace('_', '-')}), which is not reachable through a tunnel`;
        problems.push(violation(field, unroutable.rule, raw, why));
        return;
      }
      const clash = remoteCidrs.find((other) => cidrsOverlap(cidr, parseCidr(other)!));
      if (clash) {
        problems.push(violation(field, 'no_overlap_within_remote', raw, `${normal} overlaps ${clash}, also in remoteCidrs`));
        return;
      }
      const local = localCidrs.find((l) => cidrsOverlap(cidr, parseCidr(l)!));
      if (local) {
        problems.push(violation(field, 'no_overlap_with_local', raw, `${normal} overlaps the local subnet ${local}`));
        return;
      }
      if (vpcCidr && cidrsOverlap(cidr, vpcCidr)) {
        problems.push(
          violation(field, 'no_overlap_with_vpc', raw, `${normal} overlaps the VPC ${vpc.cidr}: its instances would route their own traffic into the tunnel`),
        );
        return;
      }
      remoteCidrs.push(normal);
    });
  }

  if (problems.length) return { ok: false, violations: problems };
  return { ok: true, value: { localSubnetIds: localIds as string[], localCidrs, remoteCidrs } };
}

/** Tells the caller which values were rewritten, so the API can say what it stored. */
export function cidrsWithHostBits(cidrs: string[]): string[] {
  return cidrs.filter((c) => hasHostBits(c));
}

export function checkName(value: unknown, field = 'name'): Violation[] {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 64 || /[\x00-\x1f]/.test(value)) {
    return [violation(field, 'name', value, `${field} must be 1 to 64 printable characters`)];
  }
  return [];
}

export function checkRemark(value: unknown, field = 'remark'): Violation[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string' || value.length > 256 || /[\x00-\x09\x0b-\x1f]/.test(value)) {
    return [violation(field, 'remark', value, `${field} must be at most 256 printable characters`)];
  }
  return [];
}

/**
 * An edit the remote device must follow: it changed something the remote negotiates (subnets,
 * either policy) or the pre-shared key. Compared as stored values, so a no-op edit says false.
 */
export function remoteMustUpdate(
  before: Pick<VpnTunnel, 'localSubnetIds' | 'remoteCidrs' | 'ikePolicy' | 'ipsecPolicy'> & Partial<Pick<VpnTunnel, 'initiatorMode' | 'ikeFragmentation'>>,
  patch: Partial<Pick<VpnTunnel, 'localSubnetIds' | 'remoteCidrs' | 'ikePolicy' | 'ipsecPolicy' | 'pskSealed' | 'initiatorMode' | 'ikeFragmentation'>>,
): boolean {
  if (patch.pskSealed !== undefined) return true;
  // As plain JSON values (no undefined keys), compared regardless of key order: PostgreSQL's jsonb
  // stores the policies' keys in its own order.
  // The initiator mode changes what the remote's file does when the platform closes the tunnel;
  // IKE fragmentation is offered by each end (DPD and the MSS clamp are each end's own).
  const negotiated = (t: typeof before) =>
    JSON.parse(JSON.stringify([t.localSubnetIds, t.remoteCidrs, t.ikePolicy, t.ipsecPolicy, t.initiatorMode ?? null, t.ikeFragmentation ?? true]));
  return !isDeepStrictEqual(negotiated(before), negotiated({ ...before, ...patch }));
}

/**
 * Whether the platform initiates (issue 16). Left out: response-only for a 0.0.0.0 peer (it cannot
 * initiate towards "any" address), else bidirectional; bidirectional with a 0.0.0.0 peer is a 400.
 */
export function checkInitiatorMode(value: unknown, peerIp: string, field = 'initiatorMode'): Checked<InitiatorMode> {
  const anyPeer = peerIp === ANY_PEER;
  if (value === undefined || value === null) return { ok: true, value: anyPeer ? 'response-only' : 'bidirectional' };
  if (!(INITIATOR_MODES as readonly unknown[]).includes(value)) {
    return { ok: false, violations: [violation(field, 'one_of', value, `${field} must be one of ${INITIATOR_MODES.join(', ')}`)] };
  }
  if (anyPeer && value === 'bidirectional') {
    return {
      ok: false,
      violations: [
        violation(
          field,
          'any_peer_is_response_only',
          value,
          'the peer gateway is 0.0.0.0 (any address): the platform cannot initiate, so the tunnel is response-only',
        ),
      ],
    };
  }
  return { ok: true, value: value as InitiatorMode };
}

/** An options edit: the columns to write, and whether charon's configuration changes (a new version, a reconnect). */
export interface OptionsEdit {
  patch: Partial<Pick<VpnTunnel, 'initiatorMode' | 'dpd' | 'ikeFragmentation' | 'tcpMssClamp'>>;
  reconnect: boolean;
}

/**
 * `PUT .../options`: every field optional, one left out keeps its value. The initiator mode, DPD
 * and fragmentation are charon's (a new version); the MSS clamp alone is applied in place.
 */
export function checkOptionsEdit(
  input: TunnelOptionsInput & { initiatorMode?: unknown },
  t: Pick<VpnTunnel, 'initiatorMode' | 'dpd' | 'ikeFragmentation' | 'tcpMssClamp'>,
  peerIp: string,
): Checked<OptionsEdit> {
  const before = tunnelOptionsOf(t);
  const mode = input.initiatorMode === undefined ? ({ ok: true, value: t.initiatorMode } as const) : checkInitiatorMode(input.initiatorMode, peerIp);
  const options = checkTunnelOptions(input, before);
  if (!mode.ok || !options.ok) return { ok: false, violations: [...(mode.ok ? [] : mode.violations), ...(options.ok ? [] : options.violations)] };
  const after = options.value;
  return {
    ok: true,
    value: {
      patch: { initiatorMode: mode.value, dpd: after.dpd, ikeFragmentation: after.ikeFragmentation, tcpMssClamp: after.tcpMssClamp },
      reconnect: mode.value !== t.initiatorMode || charonOptionsChanged(before, after),
    },
  };
}
