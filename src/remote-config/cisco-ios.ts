// Cisco IOS / IOS XE crypto-map configuration for the remote device (a router), from the tunnel's
// real settings. IKEv1: isakmp policy + keyring + isakmp profile; IKEv2: proposal / policy /
// keyring / profile, as in the seed's Cisco section (13.6.2). Both: transform-set, extended ACL,
// crypto map entry, interface, routes. Pure.
import {
  DhGroup,
  EncryptionAlgorithm,
  IkeAuthAlgorithm,
  IkeProposal,
  IpsecAuthAlgorithm,
  IpsecProposal,
  PfsGroup,
  ikeProposals,
  ipsecProposals,
  isAead,
} from '../policy/policy';
import { NotExpressible, RenderableTunnel, assertRenderable, keyword, optionsOf } from '../strongswan/tunnel-model';
import { checklist, cidrParts, commentBlock, idIsIp, objectName, remotePairs, remoteView, routerDpd } from './remote-view';

const VENDOR = 'Cisco IOS';
// IKEv1 `crypto isakmp policy`: encryption / hash keywords (IKEv1 has no AES-GCM: the API refuses it).
const ISAKMP_ENC: Partial<Record<EncryptionAlgorithm, string>> = { '3des': '3des', aes128: 'aes', aes192: 'aes 192', aes256: 'aes 256' };
const ISAKMP_HASH: Record<IkeAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha', 'sha2-256': 'sha256', 'sha2-384': 'sha384', 'sha2-512': 'sha512' };
// IKEv2 `crypto ikev2 proposal`: with AES-GCM the hash is given as `prf` and there is no `integrity`.
const IKEV2_ENC: Record<EncryptionAlgorithm, string> = {
  '3des': '3des',
  aes128: 'aes-cbc-128',
  aes192: 'aes-cbc-192',
  aes256: 'aes-cbc-256',
  aes128gcm16: 'aes-gcm-128',
  aes256gcm16: 'aes-gcm-256',
};
const IKEV2_INTEG: Record<IkeAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha256', 'sha2-384': 'sha384', 'sha2-512': 'sha512' };
// `crypto ipsec transform-set` transforms (esp-gcm carries its own integrity).
const ESP_ENC: Record<EncryptionAlgorithm, string> = {
  '3des': 'esp-3des',
  aes128: 'esp-aes',
  aes192: 'esp-aes 192',
  aes256: 'esp-aes 256',
  aes128gcm16: 'esp-gcm 128',
  aes256gcm16: 'esp-gcm 256',
};
const ESP_AUTH: Record<IpsecAuthAlgorithm, string> = {
  md5: 'esp-md5-hmac',
  sha1: 'esp-sha-hmac',
  'sha2-256': 'esp-sha256-hmac',
  'sha2-384': 'esp-sha384-hmac',
  'sha2-512': 'esp-sha512-hmac',
};
const AH_AUTH: Record<IpsecAuthAlgorithm, string> = {
  md5: 'ah-md5-hmac',
  sha1: 'ah-sha-hmac',
  'sha2-256': 'ah-sha256-hmac',
  'sha2-384': 'ah-sha384-hmac',
  'sha2-512': 'ah-sha512-hmac',
};
// IOS / IOS XE crypto maps offer the MODP and ECP groups; curve25519 (31) is not among them.
const GROUPS: Partial<Record<DhGroup, string>> = { 1: '1', 2: '2', 5: '5', 14: '14', 24: '24', 19: '19', 20: '20', 21: '21' };

const EXAMPLE_INTERFACE = 'GigabitEthernet0/0';
const ACL_SUFFIX = '-acl';

function group(g: DhGroup, phase: string): string {
  return keyword(VENDOR, GROUPS, g, `${phase} DH group ${g} (curve25519)`);
}

function pfs(g: PfsGroup): string | null {
  return g === 'disable' ? null : `group${group(g, 'the PFS')}`;
}

function transforms(t: RenderableTunnel, p: IpsecProposal): string {
  if (t.ipsec.protocol === 'ah') return AH_AUTH[p.authAlgorithm ?? 'sha1'];
  const enc = ESP_ENC[p.encryptionAlgorithm ?? 'aes128'];
  return p.authAlgorithm ? `${enc} ${ESP_AUTH[p.authAlgorithm]}` : enc;
}

/** The n-th (0-based) object of a list: the first keeps the bare name, as before issue 16. */
function nth(name: string, i: number): string {
  return i === 0 ? name : `${name}-${i + 1}`;
}

/** A crypto map entry has one `set pfs`: every phase 2 proposal must use the same PFS group. */
function onePfsGroup(t: RenderableTunnel): PfsGroup {
  const groups = new Set(ipsecProposals(t.ipsec).map((p) => p.pfsGroup));
  if (groups.size > 1)
    throw new NotExpressible(VENDOR, `phase 2 proposals with different PFS groups (${[...groups].join(', ')}): a crypto map entry has one \`set pfs\``);
  return t.ipsec.pfsGroup;
}

function block(head: string, body: (string | null | false)[]): string[] {
  return [head, ...body.filter((l): l is string => typeof l === 'string').map((l) => ` ${l}`), '!'];
}

function ikev1(t: RenderableTunnel, name: string): string[] {
  const v = remoteView(t);
  const platformIsIp = idIsIp(v.platformId);
  const policy = (p: IkeProposal, i: number) =>
    block(`crypto isakmp policy ${(i + 1) * 10}`, [
      `encryption ${keyword(VENDOR, ISAKMP_ENC, p.encryptionAlgorithm, `IKEv1 encryption ${p.encryptionAlgorithm}`)}`,
      `hash ${ISAKMP_HASH[p.authAlgorithm]}`,
      'authentication pre-share',
      `group ${group(p.dhGroup, 'the IKE')}`,
      `lifetime ${t.ike.lifetimeSeconds}`,
    ]);
  const all = ikeProposals(t.ike);
  return [
    all.length > 1
      ? '! --- Phase 1 (IKEv1 ISAKMP), one policy per proposal in order. Pick policy numbers not used by other policies on this router.'
      : '! --- Phase 1 (IKEv1 ISAKMP). Pick a policy number not used by another policy on this router.',
    ...all.flatMap(policy),
    ...block(`crypto keyring ${name}`, [`pre-shared-key address ${v.platformAddress} key ${t.psk}`]),
    ...block(`crypto isakmp profile ${name}`, [
      `keyring ${name}`,
      // IOS sends its interface address (address) or hostname.domain (fqdn) as IKEv1 identity.
      idIsIp(v.myId) ? 'self-identity address' : 'self-identity fqdn',
      platformIsIp ? `match identity address ${v.platformId} 255.255.255.255` : `match identity host ${v.platformId}`,
      t.ike.exchangeMode === 'aggressive' ? 'initiate mode aggressive' : null,
      `keepalive ${routerDpd(t).interval} retry ${routerDpd(t).retry}`,
    ]),
  ];
}

function ikev2(t: RenderableTunnel, name: string): string[] {
  const v = remoteView(t);
  const all = ikeProposals(t.ike);
  return [
    '! --- Phase 1 (IKEv2).',
    // Global on IOS: it only fragments towards peers that announce fragmentation, as the platform does.
    ...(optionsOf(t).ikeFragmentation ? ['crypto ikev2 fragmentation', '!'] : []),
    ...all.flatMap((p, i) =>
      block(`crypto ikev2 proposal ${nth(name, i)}`, [
        `encryption ${IKEV2_ENC[p.encryptionAlgorithm]}`,
        isAead(p.encryptionAlgorithm) ? `prf ${IKEV2_INTEG[p.authAlgorithm]}` : `integrity ${IKEV2_INTEG[p.authAlgorithm]}`,
        `group ${group(p.dhGroup, 'the IKE')}`,
      ]),
    ),
    // The policy's proposals are offered in the order listed.
    ...block(
      `crypto ikev2 policy ${name}`,
      all.map((_, i) => `proposal ${nth(name, i)}`),
    ),
    `crypto ikev2 keyring ${name}`,
    ' peer platform',
    `  address ${v.platformAddress}`,
    `  pre-shared-key ${t.psk}`,
    ' !',
    '!',
    ...block(`crypto ikev2 profile ${name}`, [
      idIsIp(v.platformId) ? `match identity remote address ${v.platformId} 255.255.255.255` : `match identity remote fqdn ${v.platformId}`,
      idIsIp(v.myId) ? `identity local address ${v.myId}` : `identity local fqdn ${v.myId}`,
      'authentication remote pre-share',
      'authentication local pre-share',
      `keyring local ${name}`,
      `lifetime ${t.ike.lifetimeSeconds}`,
      `dpd ${routerDpd(t).interval} ${routerDpd(t).retry} periodic`,
    ]),
  ];
}

/** The configuration, in `configure terminal` order, `!` comments included. */
export function renderCiscoIos(t: RenderableTunnel): string {
  assertRenderable(t);
  const v = remoteView(t);
  const name = objectName(t);
  const v1 = t.ike.version === 'v1';
  const acl = `${name}${ACL_SUFFIX}`;

  const notes = [
    `Cisco IOS / IOS XE (crypto map; IKE${v1 ? 'v1: IOS 12.4 or later' : 'v2: IOS 15.1 / IOS XE 3.3 or later'}).`,
    ...checklist(t),
    '',
    'Paste in `configure terminal`. Adapt before pasting:',
    `- ${EXAMPLE_INTERFACE}: your internet-facing interface (the one with ${v.myAddress ?? 'the public address'});`,
    `- the crypto map name: an interface takes one crypto map; if it already has one, add this entry`,
    '  to that map under a free sequence number instead of applying a second map;',
    "- <next hop>: your internet gateway, for the routes to the platform's subnets;",
    "- NAT: deny the ACL's traffic in the ACL of your `ip nat inside source` rule (NAT exemption).",
    'The pre-shared key appears in clear (type 0); `service password-encryption` / `password encryption aes` hides it in the running config.',
  ];
  if (v1 && !idIsIp(v.myId)) {
    notes.push(`IKEv1 FQDN id: IOS sends <hostname>.<domain>; set \`hostname\` and \`ip domain name\` so that it reads ${v.myId}.`);
  } else if (v1 && v.myAddress !== v.myId) {
    notes.push(`IKEv1 address id: IOS sends its interface address; the platform expects ${v.myId}, so that must be the interface's address (no NAT in front).`);
  }
  if (!v1)
    notes.push(
      'IKEv2: a `crypto ikev2 policy` without `match` serves every local address; if this router already has IKEv2 policies, add the proposal to the one that matches instead.',
    );
  if (t.ike.exchangeMode === 'aggressive') notes.push('Aggressive mode: `initiate mode aggressive` in the isakmp profile (this router initiates).');
  if (t.ipsec.pfsGroup === 'disable') notes.push('PFS is off: no `set pfs` in the crypto map entry.');
  if (v1 && remotePairs(v).length > 1) notes.push('IKEv1: IOS negotiates one SA per ACL line (subnet pair), like the platform.');
  const options = optionsOf(t);
  if (v1 && options.ikeFragmentation) notes.push('IKE fragmentation: the platform offers it; IKEv1 on IOS has no standard form (the tunnel works without it).');
  if (!options.ikeFragmentation)
    notes.push('IKE fragmentation is off for this tunnel: the platform does not announce it, so this router never fragments towards it.');
  const dpd = routerDpd(t);
  if (dpd.note) notes.push(dpd.note);
  if (options.tcpMssClamp !== null)
    notes.push(
      `TCP MSS clamp ${options.tcpMssClamp}: the platform clamps TCP through the tunnel in its gateway; \`ip tcp adjust-mss\` on the interface does it here.`,
    );

  const lines = [
    ...commentBlock('!', notes),
    '!',
    ...(v1 ? ikev1(t, name) : ikev2(t, name)),
    '! --- Phase 2.',
    ...ipsecProposals(t.ipsec).flatMap((p, i) => block(`crypto ipsec transform-set ${nth(name, i)} ${transforms(t, p)}`, ['mode tunnel'])),
    "! Traffic to protect: this side's subnets to the platform's subnets.",
    ...block(
      `ip access-list extended ${acl}`,
      remotePairs(v).map(({ mine, theirs }) => {
        const a = cidrParts(mine);
        const b = cidrParts(theirs);
        return `permit ip ${a.network} ${a.wildcard} ${b.network} ${b.wildcard}`;
      }),
    ),
    ...block(`crypto map ${name}-map 10 ipsec-isakmp`, [
      `set peer ${v.platformAddress}`,
      `set transform-set ${ipsecProposals(t.ipsec)
        .map((_, i) => nth(name, i))
        .join(' ')}`,
      pfs(onePfsGroup(t)) ? `set pfs ${pfs(t.ipsec.pfsGroup)}` : null,
      `set security-association lifetime seconds ${t.ipsec.lifetimeSeconds}`,
      v1 ? `set isakmp-profile ${name}` : `set ikev2-profile ${name}`,
      `match address ${acl}`,
    ]),
    ...block(`interface ${EXAMPLE_INTERFACE}`, [
      optionsOf(t).tcpMssClamp !== null && `ip tcp adjust-mss ${optionsOf(t).tcpMssClamp}`,
      `crypto map ${name}-map`,
    ]),
    "! Routes to the platform's subnets, out of the crypto map interface.",
    ...v.platformSubnets.map((c) => {
      const p = cidrParts(c);
      return `ip route ${p.network} ${p.mask} <next hop>`;
    }),
    'end',
    '',
  ];
  return lines.join('\n');
}
