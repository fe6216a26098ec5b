// libreswan ipsec.conf (a conn for /etc/ipsec.d/) + ipsec.secrets line for the remote device.
// libreswan differs from strongSwan's ipsec.conf: ikev2=insist|no instead of keyexchange=,
// `;` before the DH group in ike=/phase2alg=, pfs=no, phase2=esp|ah, @ before FQDN ids, and
// leftsubnets={...} for several subnets. Pure.
import { DhGroup, EncryptionAlgorithm, IkeAuthAlgorithm, IkeProposal, IpsecAuthAlgorithm, IpsecProposal, ikeProposals, ipsecProposals } from '../policy/policy';
import { formatPsk } from '../strongswan/ipsec-conf';
import {
  NotExpressible,
  REMOTE_MSS_SENTENCE,
  RenderableTunnel,
  assertRenderable,
  connName,
  linuxMssClampNote,
  optionsOf,
  seconds,
} from '../strongswan/tunnel-model';
import { checklist, commentBlock, idIsIp, remoteView } from './remote-view';

// Checked with libreswan 4.10's algparse: `aes_gcm256-sha2_384;dh20` (IKEv2: the hash is the PRF
// with GCM), `aes_gcm256;dh20` for ESP, dh19/20/21/31.
const ENC: Record<EncryptionAlgorithm, string> = {
  '3des': '3des',
  aes128: 'aes128',
  aes192: 'aes192',
  aes256: 'aes256',
  aes128gcm16: 'aes_gcm128',
  aes256gcm16: 'aes_gcm256',
};
const IKE_INTEG: Record<IkeAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha2_256', 'sha2-384': 'sha2_384', 'sha2-512': 'sha2_512' };
const ESP_INTEG: Record<IpsecAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha2_256', 'sha2-384': 'sha2_384', 'sha2-512': 'sha2_512' };
const DH: Record<DhGroup, string> = { 1: 'modp768', 2: 'modp1024', 5: 'modp1536', 14: 'modp2048', 24: 'dh24', 19: 'dh19', 20: 'dh20', 21: 'dh21', 31: 'dh31' };

/**
 * DH groups a stock libreswan 4.x build refuses (verified with Debian 12's libreswan 4.10
 * `algparse`): modp768 was removed, modp1024 is no longer compiled in, and the RFC 5114 group 24
 * is not compiled in by default. libreswan 3.x still knows modp1024 (and dh24 only when built so).
 */
export const LIBRESWAN_MISSING_DH: Record<number, string> = {
  1: 'modp768 (DH group 1) was removed from libreswan',
  2: 'modp1024 (DH group 2) is not compiled into libreswan 4.x (3.x still has it)',
  24: 'dh24 (DH group 24, modp2048s256) is not compiled into libreswan by default',
};

/** PFS groups libreswan refuses in IKEv1 Quick Mode (checked with 4.10's algparse). */
const IKEV1_PFS_MISSING: readonly number[] = [19, 20, 21, 31];

/** `@fqdn` (taken literally, never resolved), a plain IPv4 address as is. */
export function libreswanId(id: string): string {
  return idIsIp(id) ? id : `@${id}`;
}

function ikeOne(p: IkeProposal): string {
  return `${ENC[p.encryptionAlgorithm]}-${IKE_INTEG[p.authAlgorithm]};${DH[p.dhGroup]}`;
}

/** ike=: the proposals in order, comma-separated. */
export function libreswanIke(t: RenderableTunnel): string {
  return ikeProposals(t.ike).map(ikeOne).join(',');
}

/** phase2alg=: `aes128-sha1;modp1536`, `aes128-sha1` (PFS off), `sha1;modp1536` (AH), `aes_gcm256;dh20` (GCM). */
export function libreswanPhase2(t: RenderableTunnel): string {
  const all = ipsecProposals(t.ipsec);
  // pfs= is one setting of the conn: proposals with and without PFS cannot be mixed.
  if (new Set(all.map((p) => p.pfsGroup === 'disable')).size > 1) {
    throw new NotExpressible('libreswan', 'phase 2 proposals with and without PFS in one conn (pfs= is per conn)');
  }
  return all.map((p) => phase2One(t, p)).join(',');
}

function phase2One(t: RenderableTunnel, p: IpsecProposal): string {
  // algparse -v1 -pfs: "ESP DH algorithm 'dh19' is not supported by IKEv1" (same for 20, 21, 31 and AH).
  if (t.ike.version === 'v1' && typeof p.pfsGroup === 'number' && IKEV1_PFS_MISSING.includes(p.pfsGroup)) {
    throw new NotExpressible('libreswan', `the IKEv1 PFS group ${p.pfsGroup} (its IKEv1 Quick Mode has no elliptic-curve or curve25519 PFS; use 14, or IKEv2)`);
  }
  const integ = p.authAlgorithm ? ESP_INTEG[p.authAlgorithm] : null;
  const algs = t.ipsec.protocol === 'esp' ? [ENC[p.encryptionAlgorithm ?? 'aes128'], integ].filter(Boolean).join('-') : ESP_INTEG[p.authAlgorithm ?? 'sha1'];
  return p.pfsGroup === 'disable' ? algs : `${algs};${DH[p.pfsGroup]}`;
}

/** Settings of this tunnel a stock libreswan 4.x cannot negotiate, as sentences. */
export function libreswanLimits(t: RenderableTunnel): string[] {
  const out: string[] = [];
  for (const g of new Set(ikeProposals(t.ike).map((p) => p.dhGroup))) {
    const ike = LIBRESWAN_MISSING_DH[g];
    if (ike) out.push(`phase 1: ${ike}.`);
  }
  for (const g of new Set(ipsecProposals(t.ipsec).map((p) => p.pfsGroup))) {
    const pfs = g === 'disable' ? undefined : LIBRESWAN_MISSING_DH[g];
    if (pfs) out.push(`phase 2 PFS: ${pfs}.`);
  }
  return out;
}

function subnets(side: 'left' | 'right', list: string[], several: boolean): string {
  return several ? `${side}subnets={${list.join(',')}}` : `${side}subnet=${list[0]}`;
}

const IND = '    ';

export function renderLibreswanConf(t: RenderableTunnel): string {
  assertRenderable(t);
  const v = remoteView(t);
  const name = connName(t.id);
  const v1 = t.ike.version === 'v1';
  const several = v.mySubnets.length > 1 || v.platformSubnets.length > 1;
  const limits = libreswanLimits(t);

  const header = [
    'libreswan ipsec.conf conn (libreswan 3.x and 4.x; checked with libreswan 4.10 `ipsec addconn --checkconfig`).',
    ...checklist(t),
    '',
    `Install: save the conn below as /etc/ipsec.d/${name}.conf and the secrets line at the end`,
    `(without its leading "# ") as /etc/ipsec.d/${name}.secrets (chmod 600), then`,
    '`ipsec auto --rereadsecrets; ipsec auto --add ' + name + '; ipsec auto --up ' + name + '`.',
  ];
  if (v.myAddress) header.push(`Behind NAT? Set left=%defaultroute (or this host's own address); keep leftid=${libreswanId(v.myId)}.`);
  if (v1) {
    header.push('IKEv1: libreswan 4.x drops IKEv1 unless /etc/ipsec.conf has `ikev1-policy=accept` in its');
    header.push('`config setup` section (the keyword does not exist in 3.x, which accepts IKEv1 by default).');
  }
  if (t.ike.exchangeMode === 'aggressive') header.push('Aggressive mode: ike= and phase2alg= each carry exactly one proposal, as libreswan requires.');
  if (several) header.push('Several subnets: leftsubnets=/rightsubnets= make libreswan negotiate one SA per subnet pair.');
  if (t.ipsec.pfsGroup === 'disable') header.push('PFS is off: pfs=no, and phase2alg= carries no DH group.');
  header.push(...linuxMssClampNote(t, v.platformSubnets, `${REMOTE_MSS_SENTENCE} (libreswan has no keyword for it):`));
  if (limits.length) {
    header.push('');
    header.push('WARNING: a stock libreswan cannot negotiate this tunnel as configured:');
    for (const l of limits) header.push(`- ${l}`);
    header.push("Change the tunnel's DH group / PFS group on the platform to 5 or 14 (both ends must match),");
    header.push('or use a libreswan built with these groups. As rendered, pluto refuses to load this conn.');
  }

  const body = [
    'authby=secret',
    'auto=start',
    'type=tunnel',
    `ikev2=${v1 ? 'no' : 'insist'}`,
    ...(v1 ? [`aggressive=${t.ike.exchangeMode === 'aggressive' ? 'yes' : 'no'}`] : []),
    `ike=${libreswanIke(t)}`,
    `phase2=${t.ipsec.protocol}`,
    `phase2alg=${libreswanPhase2(t)}`,
    `pfs=${t.ipsec.pfsGroup === 'disable' ? 'no' : 'yes'}`,
    `ikelifetime=${seconds(t.ike.lifetimeSeconds)}`,
    `salifetime=${seconds(t.ipsec.lifetimeSeconds)}`,
    // A 0.0.0.0 peer has no fixed address: this host's default-route address.
    `left=${v.myAddress ?? '%defaultroute'}`,
    `leftid=${libreswanId(v.myId)}`,
    subnets('left', v.mySubnets, several),
    `right=${v.platformAddress}`,
    `rightid=${libreswanId(v.platformId)}`,
    subnets('right', v.platformSubnets, several),
    `dpddelay=${seconds(optionsOf(t).dpd.delaySeconds)}`,
    `dpdtimeout=${seconds(optionsOf(t).dpd.timeoutSeconds)}`,
    'dpdaction=restart',
    'keyingtries=%forever',
    `fragmentation=${optionsOf(t).ikeFragmentation ? 'yes' : 'no'}`,
  ];
  return [...commentBlock('#', header), '', `conn ${name}`, ...body.map((l) => IND + l), ''].join('\n');
}

/** `<this device's id> <platform's id> : PSK "<psk>"`, newline-terminated. */
export function renderLibreswanSecrets(t: RenderableTunnel): string {
  assertRenderable(t);
  const v = remoteView(t);
  return `${libreswanId(v.myId)} ${libreswanId(v.platformId)} : PSK ${formatPsk(t.psk)}\n`;
}

/** The downloadable file: the conn, then the secrets line commented out (the file still parses). */
export function renderLibreswanBundle(t: RenderableTunnel): string {
  return [
    renderLibreswanConf(t),
    '# ------------------------------------------------------------------------------------------',
    `# ipsec.secrets: copy the next line WITHOUT its leading "# " into /etc/ipsec.d/${connName(t.id)}.secrets`,
    '# (readable by root only).',
    `# ${renderLibreswanSecrets(t)}`,
  ].join('\n');
}
