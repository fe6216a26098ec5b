// Huawei VRP (AR routers V200R008 and later; H3C Comware 5 uses the same objects) configuration for
// the remote device: acl / ike proposal / ike peer / ipsec proposal / ipsec policy, applied to the
// internet-facing interface, plus static routes. Pure.
import { DhGroup, EncryptionAlgorithm, IkeAuthAlgorithm, IpsecAuthAlgorithm, PfsGroup, ikeProposals, ipsecProposals } from '../policy/policy';
import { NotExpressible, RenderableTunnel, assertRenderable, keyword, optionsOf } from '../strongswan/tunnel-model';
import { checklist, cidrParts, commentBlock, idIsIp, remotePairs, remoteView, routerDpd } from './remote-view';

const VENDOR = 'Huawei VRP (AR V200R008-V200R010)';
// The AR releases this file is written for offer AES-CBC only (no AES-GCM) and no curve25519:
// those settings answer 409 rather than render a keyword the device refuses.
const ENC: Partial<Record<EncryptionAlgorithm, string>> = { '3des': '3des', aes128: 'aes-128', aes192: 'aes-192', aes256: 'aes-256' };
const IKE_AUTH: Record<IkeAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha2-256', 'sha2-384': 'sha2-384', 'sha2-512': 'sha2-512' };
// IKEv2 only: the integrity and PRF algorithms matching the authentication algorithm.
const IKEV2_INTEG: Record<IkeAuthAlgorithm, string> = {
  md5: 'hmac-md5-96',
  sha1: 'hmac-sha1-96',
  'sha2-256': 'hmac-sha2-256',
  'sha2-384': 'hmac-sha2-384',
  'sha2-512': 'hmac-sha2-512',
};
const IKEV2_PRF: Record<IkeAuthAlgorithm, string> = {
  md5: 'hmac-md5',
  sha1: 'hmac-sha1',
  'sha2-256': 'hmac-sha2-256',
  'sha2-384': 'hmac-sha2-384',
  'sha2-512': 'hmac-sha2-512',
};
const IPSEC_AUTH: Record<IpsecAuthAlgorithm, string> = { md5: 'md5', sha1: 'sha1', 'sha2-256': 'sha2-256', 'sha2-384': 'sha2-384', 'sha2-512': 'sha2-512' };
const GROUPS: Partial<Record<DhGroup, string>> = {
  1: 'group1',
  2: 'group2',
  5: 'group5',
  14: 'group14',
  24: 'group24',
  19: 'group19',
  20: 'group20',
  21: 'group21',
};

function enc(alg: EncryptionAlgorithm, phase: string): string {
  return keyword(VENDOR, ENC, alg, `${phase} encryption ${alg} (AES-GCM)`);
}

function dh(g: DhGroup, phase: string): string {
  return keyword(VENDOR, GROUPS, g, `${phase} DH group ${g} (curve25519)`);
}

const EXAMPLE_INTERFACE = 'GigabitEthernet0/0/1';
const ACL_NUMBER = 3100;
const IKE_PROPOSAL = 10;

/** VRP object names are at most 15 characters: `ipsvpn-` + the tunnel id's last 8 characters. */
export function huaweiName(t: RenderableTunnel): string {
  return `ipsvpn-${t.id.replace(/^vpntnl-/, '').slice(-8)}`;
}

function pfs(g: PfsGroup): string | null {
  return g === 'disable' ? null : `pfs dh-${dh(g, 'the PFS')}`;
}

function section(head: string, body: (string | null)[]): string[] {
  return [head, ...body.filter((l): l is string => l !== null).map((l) => ` ${l}`), ' quit', '#'];
}

export function renderHuaweiVrp(t: RenderableTunnel): string {
  assertRenderable(t);
  const v = remoteView(t);
  const name = huaweiName(t);
  const v1 = t.ike.version === 'v1';
  const myIdIsIp = idIsIp(v.myId);
  const platformIdIsIp = idIsIp(v.platformId);

  const notes = [
    'Huawei VRP (AR series V200R008 or later; for H3C Comware 5 the same objects apply with minor',
    'keyword differences; H3C Comware 7 uses ike profile / ike keychain / ipsec transform-set instead).',
    ...checklist(t),
    '',
    'Lines starting with # are comments (skip them when typing). Paste the rest in `system-view`. Adapt first:',
    `- ${EXAMPLE_INTERFACE}: your internet-facing interface;`,
    `- acl ${ACL_NUMBER} and ike proposal ${IKE_PROPOSAL}: numbers not used by other policies on this device;`,
    "- <next hop>: your internet gateway, for the routes to the platform's subnets;",
    "- NAT: exclude the acl's traffic from the interface's nat outbound rule (deny it in the NAT acl).",
    'Older VRP (before V200R008) names the algorithms aes-cbc-128 / 3des-cbc and takes the IKE version as',
    '`ike peer <name> v1|v2`; adapt those lines there.',
  ];
  if (t.ike.dhGroup === 24 || t.ipsec.pfsGroup === 24) notes.push('DH group 24 is not offered by every VRP release: `dh ?` lists the groups yours has.');
  if (t.ike.dhGroup === 1 || t.ipsec.pfsGroup === 1)
    notes.push('DH group 1 is considered insecure; recent VRP releases warn or need `undo crypto weak-algorithm disable`.');
  if (t.ipsec.pfsGroup === 'disable') notes.push('PFS is off: no `pfs` in the ipsec policy.');
  if (myIdIsIp && v.myAddress !== v.myId) {
    notes.push(
      `IP id: VRP sends its interface address; the platform expects ${v.myId}, so that must be the interface's address (no NAT in front), or change the tunnel's remote id to an FQDN.`,
    );
  }
  if (!myIdIsIp) notes.push(`This device identifies itself by FQDN ${v.myId} (local-id-type fqdn).`);
  const options = optionsOf(t);
  const dpd = routerDpd(t);
  if (dpd.note) notes.push(dpd.note);
  if (v1 && options.ikeFragmentation) notes.push('IKE fragmentation: the platform offers it; VRP fragments IKEv2 only (the tunnel works without it).');
  if (options.tcpMssClamp !== null)
    notes.push(
      `TCP MSS clamp ${options.tcpMssClamp}: the platform clamps TCP through the tunnel in its gateway; \`tcp adjust-mss\` on the interface does it here.`,
    );

  const acl = section(
    `acl number ${ACL_NUMBER}`,
    remotePairs(v).map(({ mine, theirs }, i) => {
      const a = cidrParts(mine);
      const b = cidrParts(theirs);
      return `rule ${(i + 1) * 5} permit ip source ${a.network} ${a.wildcard} destination ${b.network} ${b.wildcard}`;
    }),
  );
  // An AR ike peer references one ike proposal: several IKE proposals cannot be said.
  if (ikeProposals(t.ike).length > 1) throw new NotExpressible(VENDOR, 'several IKE proposals (an ike peer references one ike proposal)');
  const ikeProposal = section(`ike proposal ${IKE_PROPOSAL}`, [
    `encryption-algorithm ${enc(t.ike.encryptionAlgorithm, 'the IKE')}`,
    `authentication-algorithm ${IKE_AUTH[t.ike.authAlgorithm]}`,
    v1 ? null : `integrity-algorithm ${IKEV2_INTEG[t.ike.authAlgorithm]}`,
    v1 ? null : `prf ${IKEV2_PRF[t.ike.authAlgorithm]}`,
    'authentication-method pre-share',
    `dh ${dh(t.ike.dhGroup, 'the IKE')}`,
    `sa duration ${t.ike.lifetimeSeconds}`,
  ]);
  const ikePeer = section(`ike peer ${name}`, [
    v1 ? 'undo version 2' : 'undo version 1',
    v1 ? `exchange-mode ${t.ike.exchangeMode ?? 'main'}` : null,
    `pre-shared-key cipher ${t.psk}`,
    `ike-proposal ${IKE_PROPOSAL}`,
    `local-id-type ${myIdIsIp ? 'ip' : 'fqdn'}`,
    myIdIsIp ? null : `local-id ${v.myId}`,
    myIdIsIp && v.myAddress === v.myId ? `local-address ${v.myId}` : null,
    `remote-id-type ${platformIdIsIp ? 'ip' : 'fqdn'}`,
    platformIdIsIp ? null : `remote-id ${v.platformId}`,
    `remote-address ${v.platformAddress}`,
    'dpd type periodic',
    `dpd idle-time ${dpd.interval}`,
    `dpd retransmit-interval ${dpd.retry}`,
    !v1 && options.ikeFragmentation ? 'ikev2 fragmentation' : null,
  ]);
  const phase2 = ipsecProposals(t.ipsec);
  // One `pfs` per ipsec policy: every phase 2 proposal must use the same group.
  if (new Set(phase2.map((p) => p.pfsGroup)).size > 1)
    throw new NotExpressible(VENDOR, 'phase 2 proposals with different PFS groups (an ipsec policy has one `pfs`)');
  // Names stay within VRP's 15 characters: the first keeps the tunnel's name, then p2-<id>, p3-<id>.
  const proposalName = (i: number) => (i === 0 ? name : `p${i + 1}-${name.slice('ipsvpn-'.length)}`);
  const ipsecProposal = phase2.flatMap((p, i) =>
    section(`ipsec proposal ${proposalName(i)}`, [
      `transform ${t.ipsec.protocol}`,
      `${t.ipsec.protocol} authentication-algorithm ${IPSEC_AUTH[p.authAlgorithm ?? 'sha1']}`,
      t.ipsec.protocol === 'esp' ? `esp encryption-algorithm ${enc(p.encryptionAlgorithm ?? 'aes128', 'the ESP')}` : null,
      'encapsulation-mode tunnel',
    ]),
  );
  const policy = section(`ipsec policy ${name} 10 isakmp`, [
    `security acl ${ACL_NUMBER}`,
    `ike-peer ${name}`,
    `proposal ${phase2.map((_, i) => proposalName(i)).join(' ')}`,
    pfs(t.ipsec.pfsGroup),
    `sa duration time-based ${t.ipsec.lifetimeSeconds}`,
  ]);
  const iface = section(`interface ${EXAMPLE_INTERFACE}`, [
    options.tcpMssClamp !== null ? `tcp adjust-mss ${options.tcpMssClamp}` : null,
    `ipsec policy ${name}`,
  ]);
  const routes = v.platformSubnets.map((c) => {
    const p = cidrParts(c);
    return `ip route-static ${p.network} ${p.prefix} <next hop>`;
  });

  return [
    ...commentBlock('#', notes),
    '#',
    'system-view',
    "# Traffic to protect: this side's subnets to the platform's subnets.",
    ...acl,
    '# Phase 1.',
    ...ikeProposal,
    ...ikePeer,
    '# Phase 2.',
    ...ipsecProposal,
    ...policy,
    ...iface,
    "# Routes to the platform's subnets, out of the interface with the ipsec policy.",
    ...routes,
    'return',
    '',
  ].join('\n');
}
