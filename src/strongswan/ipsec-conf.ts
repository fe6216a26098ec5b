// The downloadable strongSwan ipsec.conf (the seed's section 13.5.3 form) and its ipsec.secrets
// line, from either side's point of view. Pure: text from arguments only.
import { DH_KEYWORD, childProposalList, ikeProposalList } from '../policy/policy';
import {
  RenderableTunnel,
  assertRenderable,
  canInitiate,
  commentSafe,
  connName,
  isAnyPeer,
  linuxMssClampNote,
  optionsOf,
  platformDpdNote,
  REMOTE_MSS_SENTENCE,
  seconds,
  subnetPairs,
  usesPairChildren,
} from './tunnel-model';

/** platform: left = the platform's VPN gateway (the seed's form). remote: left = the peer device. */
export type Side = 'platform' | 'remote';

interface Ends {
  left: string;
  leftid: string;
  leftsubnets: string[];
  right: string;
  rightid: string;
  rightsubnets: string[];
}

function ends(t: RenderableTunnel, side: Side): Ends {
  if (side === 'platform') {
    return {
      left: t.gatewayIp,
      leftid: t.ike.localId,
      leftsubnets: t.localCidrs,
      // 0.0.0.0 = any peer: the platform only answers, from whatever address the remote has.
      right: isAnyPeer(t) ? '%any' : t.peerIp,
      rightid: t.ike.remoteId,
      rightsubnets: t.remoteCidrs,
    };
  }
  return {
    // A 0.0.0.0 peer has no fixed address: take this host's own (default-route) address.
    left: isAnyPeer(t) ? '%defaultroute' : t.peerIp,
    leftid: t.ike.remoteId,
    leftsubnets: t.remoteCidrs,
    right: t.gatewayIp,
    rightid: t.ike.localId,
    rightsubnets: t.localCidrs,
  };
}

/** What each side does by itself (local settings, the peers need not agree): the remote must always come back. */
function behaviour(t: RenderableTunnel, side: Side) {
  if (side === 'remote') {
    return {
      auto: 'start',
      // restart + %forever: after an outage of any length the remote re-establishes by itself;
      // the seed's hold only retries when traffic arrives, 3 tries gives up after ~8 minutes.
      keyingtries: '%forever',
      dpdaction: 'restart',
      // The platform cannot (0.0.0.0 peer) or does not (response-only) initiate: when it closes the
      // tunnel (e.g. after an edit) the remote must bring it back. Otherwise the platform re-initiates.
      closeaction: canInitiate(t) ? null : 'restart',
    };
  }
  if (!canInitiate(t)) return { auto: 'add', keyingtries: '3', dpdaction: 'clear', closeaction: null };
  // The tunnel's DPD action is the platform's: ipsec.conf spells charon's trap `hold`.
  return { auto: 'start', keyingtries: '3', dpdaction: optionsOf(t).dpd.action, closeaction: null };
}

const INDENT = '    ';

function headerLines(t: RenderableTunnel, side: Side): string[] {
  const e = ends(t, side);
  const name = commentSafe(t.name);
  const proto = t.ipsec.protocol === 'ah' ? 'ah=' : 'esp=';
  const lines = [
    `# strongSwan ipsec.conf for IPsec VPN tunnel "${name}" (${t.id}), ${side} side.`,
    side === 'platform'
      ? `# left = the platform's VPN gateway ${t.gatewayIp}, right = the peer gateway ${isAnyPeer(t) ? '0.0.0.0 (any address)' : t.peerIp}.`
      : `# left = this device (the peer gateway), right = the platform's VPN gateway ${t.gatewayIp}.`,
  ];
  if (side === 'platform') {
    lines.push("# This is the platform's view. On your device swap left/right, leftid/rightid and");
    lines.push('# leftsubnet/rightsubnet, or download the remote-side file instead.');
  } else {
    lines.push('# Copy the conn section(s) into /etc/ipsec.conf and the secrets line into /etc/ipsec.secrets.');
    if (!isAnyPeer(t)) lines.push(`# Behind NAT? Set left=%defaultroute (or this host's own address); keep leftid=${e.leftid}.`);
  }
  lines.push(
    t.ipsec.protocol === 'ah'
      ? '# Check: UDP 500 and 4500 open both ways, and AH (IP protocol 51): AH cannot pass through NAT.'
      : '# Check: UDP 500 and 4500 open both ways, and ESP (IP protocol 50) when no NAT is in between.',
  );
  if (isAnyPeer(t)) lines.push('# The peer gateway is 0.0.0.0: only the remote device can initiate this tunnel.');
  lines.push(
    t.ipsec.pfsGroup === 'disable'
      ? `# PFS is off: no DH group in ${proto} (strongSwan ignores the old pfs= keyword).`
      : `# PFS is on: DH group ${DH_KEYWORD[t.ipsec.pfsGroup]} in ${proto} (strongSwan ignores the old pfs= keyword).`,
  );
  if (usesPairChildren(t)) lines.push('# IKEv1 negotiates one subnet pair per SA: one conn per (left, right) subnet pair below.');
  if (t.ike.exchangeMode === 'aggressive') {
    lines.push('# Aggressive mode: a strongSwan responder needs charon.i_dont_care_about_security_and_use_aggressive_mode_psk=yes.');
  }
  if (side === 'remote') lines.push(...platformDpdNote(t).map((l) => `# The platform's side: ${l}.`));
  const mss =
    side === 'platform'
      ? linuxMssClampNote(
          t,
          t.remoteCidrs,
          "the platform's gateway clamps the MSS of TCP connections through this tunnel to it, as these rules do (ipsec.conf has no keyword for it):",
        )
      : linuxMssClampNote(t, t.localCidrs, `${REMOTE_MSS_SENTENCE} (ipsec.conf has no keyword for it):`);
  lines.push(...mss.map((l) => `# ${l}`));
  return lines;
}

/** Everything but the subnets and auto: the whole conn when single, the also= base when per pair. */
function commonLines(t: RenderableTunnel, side: Side): string[] {
  const e = ends(t, side);
  const b = behaviour(t, side);
  const proposal = childProposalList(t.ipsec).join(',');
  const { dpd, ikeFragmentation } = optionsOf(t);
  return [
    `keyingtries=${b.keyingtries}`,
    'authby=psk',
    'type=tunnel',
    '',
    `keyexchange=${t.ike.version === 'v1' ? 'ikev1' : 'ikev2'}`,
    ...(t.ike.exchangeMode === 'aggressive' ? ['aggressive=yes'] : []),
    // IKEv2 rekeys the IKE SA in place like the platform does; the starter would otherwise
    // reauthenticate (break-before-make: a short traffic gap every ikelifetime).
    ...(t.ike.version === 'v2' ? ['reauth=no'] : []),
    '',
    '# IPSecProtocol',
    // The trailing ! forbids strongSwan from appending its default proposals.
    t.ipsec.protocol === 'ah' ? `ah=${proposal}!` : `esp=${proposal}!`,
    '',
    `ike=${ikeProposalList(t.ike).join(',')}!`,
    `ikelifetime=${seconds(t.ike.lifetimeSeconds)}`,
    `lifetime=${seconds(t.ipsec.lifetimeSeconds)}`,
    `left=${e.left}`,
    `leftid=${e.leftid}`,
    `right=${e.right}`,
    `rightid=${e.rightid}`,
    `dpdaction=${b.dpdaction}`,
    `dpddelay=${seconds(dpd.delaySeconds)}`,
    `dpdtimeout=${seconds(dpd.timeoutSeconds)}`,
    `fragmentation=${ikeFragmentation ? 'yes' : 'no'}`,
    ...(b.closeaction ? [`closeaction=${b.closeaction}`] : []),
  ];
}

function section(title: string, body: string[]): string {
  return [title, ...body.map((l) => (l ? INDENT + l : ''))].join('\n');
}

/**
 * The ipsec.conf text for one tunnel. IKEv2 or a single subnet pair: one conn, as in the seed.
 * IKEv1 with several pairs: a base conn (no auto=, so not loaded itself) and one `also=` conn per
 * pair, because IKEv1 uses only the first pair of a conn; the starter merges them into one IKE SA.
 */
export function renderIpsecConf(t: RenderableTunnel, side: Side): string {
  assertRenderable(t);
  const name = connName(t.id);
  const e = ends(t, side);
  const b = behaviour(t, side);
  const common = commonLines(t, side);
  const sections: string[] = [];

  if (!usesPairChildren(t)) {
    const body = [...common];
    // The seed's order: auto after authby, subnets right after their end's address and id.
    body.splice(2, 0, `auto=${b.auto}`);
    body.splice(body.indexOf(`leftid=${e.leftid}`) + 1, 0, `leftsubnet=${e.leftsubnets.join(',')}`);
    body.splice(body.indexOf(`rightid=${e.rightid}`) + 1, 0, `rightsubnet=${e.rightsubnets.join(',')}`);
    sections.push(section(`conn ${name}`, body));
  } else {
    sections.push(section(`conn ${name}`, common));
    for (const p of subnetPairs(t)) {
      const [left, right] = side === 'platform' ? [p.local, p.remote] : [p.remote, p.local];
      sections.push(section(`conn ${p.name}`, [`also=${name}`, `leftsubnet=${left}`, `rightsubnet=${right}`, `auto=${b.auto}`]));
    }
  }
  return `${headerLines(t, side).join('\n')}\n\n${sections.join('\n\n')}\n`;
}

// strongSwan's ipsec.secrets parser has no escapes: a quoted secret ends at the next quote of the
// same kind. Plain double quotes are kept for readability when the PSK has no `"` and no `\`
// (a backslash is literal for strongSwan but an escape for some other parsers); otherwise the
// PSK is written as 0x hex, which every strongSwan version reads byte for byte.
const QUOTABLE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function formatPsk(psk: string): string {
  if (QUOTABLE.test(psk)) return `"${psk}"`;
  return `0x${[...psk].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')}`;
}

/** `<this side's id> <other side's id> : PSK "<psk>"`, newline-terminated. */
export function renderIpsecSecrets(t: RenderableTunnel, side: Side): string {
  assertRenderable(t);
  const e = ends(t, side);
  return `${e.leftid} ${e.rightid} : PSK ${formatPsk(t.psk)}\n`;
}

/**
 * The single `.conf` the console serves: the ipsec.conf part, then the secrets line commented
 * out (so the whole file still loads as an ipsec.conf) for the administrator to copy.
 */
export function renderConfigBundle(t: RenderableTunnel, side: Side): string {
  const secret = renderIpsecSecrets(t, side);
  return [
    renderIpsecConf(t, side),
    '# ------------------------------------------------------------------------------------------',
    '# ipsec.secrets: copy the next line WITHOUT its leading "# " into /etc/ipsec.secrets',
    '# (readable by root only), then run `ipsec rereadsecrets` or restart strongSwan.',
    `# ${secret}`,
  ].join('\n');
}
