// strongSwan swanctl.conf (connections {} and secrets {}) for the remote device: the same
// connection the platform loads over VICI, mirrored (local/remote, subnets, ids swapped), with the
// remote's own behaviour (it always comes back by itself). Pure.
import { formatPsk } from '../strongswan/ipsec-conf';
import {
  REMOTE_MSS_SENTENCE,
  RenderableTunnel,
  assertRenderable,
  canInitiate,
  connName,
  linuxMssClampNote,
  subnetPairs,
  usesPairChildren,
} from '../strongswan/tunnel-model';
import { childSaSettings, ikeSaSettings, ikeVersionSettings } from '../strongswan/vici-conn';
import { ViciSection } from '../vici/message';
import { checklist, commentBlock, remoteView } from './remote-view';

const IND = '    ';

// swanctl.conf sections hold the same keys and values as VICI messages.
type Block = ViciSection;

function renderBlock(name: string, body: Block, depth: number): string[] {
  const pad = IND.repeat(depth);
  const out = [`${pad}${name} {`];
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out.push(`${pad}${IND}${k} = ${v}`);
    else if (Array.isArray(v)) out.push(`${pad}${IND}${k} = ${v.join(',')}`);
    else out.push(...renderBlock(k, v, depth + 1));
  }
  out.push(`${pad}}`);
  return out;
}

function child(t: RenderableTunnel, local: string[], remote: string[]): Block {
  return {
    ...childSaSettings(t, local, remote),
    // The remote always brings the tunnel back by itself (the platform cannot initiate towards
    // a 0.0.0.0 peer, and after an edit the platform closes the SA).
    start_action: 'start',
    dpd_action: 'restart',
    close_action: canInitiate(t) ? 'none' : 'start',
  };
}

/** The `connections { ... }` and `secrets { ... }` sections, with a header comment. */
export function renderSwanctlConf(t: RenderableTunnel): string {
  assertRenderable(t);
  const v = remoteView(t);
  const name = connName(t.id);

  const children: Block = {};
  if (usesPairChildren(t)) {
    for (const p of subnetPairs(t)) children[p.name] = child(t, [p.remote], [p.local]);
  } else {
    children[name] = child(t, v.mySubnets, v.platformSubnets);
  }
  const conn: Block = {
    ...ikeVersionSettings(t),
    // A 0.0.0.0 peer has no fixed address: leave local_addrs at its default (%any).
    ...(v.myAddress ? { local_addrs: v.myAddress } : {}),
    remote_addrs: v.platformAddress,
    ...ikeSaSettings(t),
    keyingtries: '0',
    local: { auth: 'psk', id: v.myId },
    remote: { auth: 'psk', id: v.platformId },
    children,
  };
  const secrets: Block = {
    [`ike-${name}`]: { 'id-local': v.myId, 'id-remote': v.platformId, secret: formatPsk(t.psk) },
  };

  const header = [
    'strongSwan swanctl.conf (strongSwan 5.2 or later, charon with the vici plugin).',
    ...checklist(t),
    '',
    'Install: save as /etc/swanctl/conf.d/' + `${name}.conf (readable by root only), then run`,
    '`swanctl --load-all` (or restart strongSwan). `swanctl --list-sas` shows the tunnel.',
    'keyingtries = 0 retries forever; start_action = start brings the tunnel up when loaded.',
  ];
  if (v.myAddress) header.push(`Behind NAT? Remove local_addrs (or set this host's own address); keep local.id = ${v.myId}.`);
  if (t.ike.exchangeMode === 'aggressive') {
    header.push('Aggressive mode with a PSK: a strongSwan responder also needs');
    header.push('charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes in strongswan.conf.');
  }
  if (usesPairChildren(t)) header.push('IKEv1 negotiates one subnet pair per SA: one child per (local, remote) pair below.');
  if (t.ipsec.pfsGroup === 'disable') header.push('PFS is off: no DH group in the child proposal.');
  header.push(...linuxMssClampNote(t, v.platformSubnets, `${REMOTE_MSS_SENTENCE} (swanctl.conf has no keyword for it):`));

  return [...commentBlock('#', header), '', ...renderBlock('connections', { [name]: conn }, 0), '', ...renderBlock('secrets', secrets, 0), ''].join('\n');
}
