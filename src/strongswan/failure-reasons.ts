// Why a negotiation failed, read from the lines charon logged during the attempt (docs/vici.md, "Phase 1 or phase 2? What charon logs").
// Pure: the worker passes the control-log lines of an `initiate` (or the daemon log of a passive
// attempt) and gets a reason code, the phase and a sentence in the spirit of the seed's FAQ.

/** Every code the reasons below return; the console gives each its title and advice (one list for both). */
export const FAILURE_CODES = [
  'psk_mismatch_or_id_mismatch',
  'psk_mismatch',
  'remote_id_mismatch',
  'ike_proposal_mismatch',
  'ike_version_or_mode_mismatch',
  'peer_unreachable',
  'ipsec_proposal_mismatch',
  'traffic_selectors_mismatch',
  'remote_deleted_child_sa',
  'rekey_failed',
  'unknown',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Not read from charon's lines: the tunnel view's reason while a response-only tunnel (or a 0.0.0.0 peer) waits for the remote. */
export const WAITING_FOR_REMOTE = 'waiting_for_remote';

export interface FailureReason {
  phase: 1 | 2;
  code: FailureCode;
  message: string;
}

export interface FailureContext {
  localCidrs: string[];
  remoteCidrs: string[];
  localId: string;
  remoteId: string;
  /** This tunnel's proposals in strongSwan's syntax (what the peer's ike= / esp= must contain). */
  ikeProposals?: string[];
  childProposals?: string[];
  childProtocol?: 'esp' | 'ah';
}

const IKE_ESTABLISHED = /IKE_SA \S+\[\d+\] established between/;

interface Rule {
  code: FailureCode;
  phase: 1 | 2 | 'any';
  patterns: RegExp[];
}

// Order matters: the first rule whose pattern appears wins, most specific first.
const RULES: Rule[] = [
  {
    code: 'traffic_selectors_mismatch',
    phase: 'any',
    patterns: [/TS_UNACCEPTABLE/, /INVALID_ID_INFORMATION/, /traffic selectors .* unacceptable/i, /no matching CHILD_SA config found/],
  },
  {
    code: 'ipsec_proposal_mismatch',
    phase: 2,
    patterns: [/NO_PROPOSAL_CHOSEN notify, no CHILD_SA built/, /no acceptable proposal found/, /no matching proposal found, sending NO_PROPOSAL_CHOSEN/],
  },
  // What the responder's lines can tell apart (issue 16): the peer's identity matches no connection
  // (ike_auth.c / phase1.c), or it matched and the key is wrong (psk_authenticator.c). As the
  // initiator we only read the peer's AUTHENTICATION_FAILED, which says neither: the combined code.
  { code: 'remote_id_mismatch', phase: 1, patterns: [/no matching peer config found/, /^(\[\w+\] )?no peer config found/] },
  { code: 'psk_mismatch', phase: 1, patterns: [/tried \d+ shared keys? for .*, but MAC mismatched/] },
  {
    code: 'psk_mismatch_or_id_mismatch',
    phase: 1,
    patterns: [
      /AUTHENTICATION_FAILED/,
      /MAC mismatched/,
      /no shared key found/,
      /calculated HASH does not match/,
      /decryption failed\?/,
      /peer authentication failed/,
      /tried \d+ shared key/,
      // IKEv1 initiator: the peer's encrypted error notify cannot be decrypted, so the keys (the PSK) differ.
      /INFORMATIONAL_V1 request with message ID \d+ processing failed/,
    ],
  },
  {
    code: 'ike_version_or_mode_mismatch',
    phase: 1,
    patterns: [
      /INVALID_MAJOR_VERSION/,
      /unsupported IKE version/,
      /Aggressive Mode PSK disabled/,
      /AGGRESSIVE mode .* not allowed/i,
      /received .* IKEv1 .* while expecting IKEv2/i,
      /INVALID_EXCHANGE_TYPE/,
    ],
  },
  {
    code: 'ike_proposal_mismatch',
    phase: 1,
    patterns: [/NO_PROPOSAL_CHOSEN/, /received proposals unacceptable/, /no proposal found/, /INVALID_KE_PAYLOAD.*\bnot\b/],
  },
  // Not a lone "retransmit N of request": a try whose first packet was lost and whose answer then
  // came (a refusal, say) retransmitted too, and was misread as an unreachable peer.
  { code: 'peer_unreachable', phase: 1, patterns: [/giving up after \d+ retransmits/, /peer not responding/] },
];

/** `ikeEstablished`: what charon's SA list says now (the IKE SA may predate this attempt's log). */
export function classifyFailure(lines: string[], ctx: FailureContext, errmsg = '', ikeEstablished = false): FailureReason {
  const text = [...lines, errmsg];
  const ikeUp = ikeEstablished || text.some((l) => IKE_ESTABLISHED.test(l));
  for (const rule of RULES) {
    if (!rule.patterns.some((p) => text.some((l) => p.test(l)))) continue;
    // A proposal refusal after the IKE SA is up concerns the CHILD_SA (IKEv1 Quick Mode says only NO_PROPOSAL_CHOSEN).
    if (rule.code === 'ike_proposal_mismatch' && ikeUp) return reason('ipsec_proposal_mismatch', 2, ctx, '', text);
    const phase = rule.phase === 'any' ? (ikeUp ? 2 : 1) : rule.phase;
    return reason(rule.code, phase, ctx, '', text);
  }
  return reason('unknown', ikeUp ? 2 : 1, ctx, errmsg);
}

/** How a side negotiates phase 1: the IKE version and, for IKEv1, the exchange mode. */
export type IkeFlavour = 'IKEv2' | 'IKEv1 main mode' | 'IKEv1 aggressive mode';

/** The flavour of an IKE request charon parsed ("parsed ID_PROT request 0 [ SA V V ]"), or null. */
export function flavourOfParsedRequest(msg: string): IkeFlavour | null {
  const m = /^parsed (IKE_SA_INIT|ID_PROT|AGGRESSIVE) request 0 /.exec(msg);
  if (!m) return null;
  return m[1] === 'IKE_SA_INIT' ? 'IKEv2' : m[1] === 'ID_PROT' ? 'IKEv1 main mode' : 'IKEv1 aggressive mode';
}

/**
 * A phase 1 failure against a peer that was seen initiating with another IKE version or mode: the
 * wire only says NO_PROPOSAL_CHOSEN (or nothing), but the peer's own requests tell why.
 */
export function versionOrModeMismatch(reason: FailureReason, ours: IkeFlavour, seen: IkeFlavour | null): FailureReason {
  if (!seen || seen === ours || reason.phase !== 1) return reason;
  if (!['ike_proposal_mismatch', 'psk_mismatch_or_id_mismatch', 'remote_id_mismatch', 'peer_unreachable', 'unknown'].includes(reason.code)) return reason;
  return {
    code: 'ike_version_or_mode_mismatch',
    phase: 1,
    message:
      `Phase 1: the remote initiates with ${seen}, but this tunnel uses ${ours}. Set the same IKE version ` +
      "(and, for IKEv1, the same negotiation mode) on both sides: change the tunnel's IKE policy or the remote's configuration.",
  };
}

/**
 * IKEv2 builds the first CHILD_SA inside IKE_AUTH without a DH exchange, so a PFS mismatch only
 * shows when the SA is rekeyed: the platform rekeys it at once to find out (tunnel-negotiator.ts).
 */
export function pfsMismatch(pfs: string): FailureReason {
  const ours = pfs === 'disable' ? 'no PFS' : `PFS with DH group ${pfs}`;
  return {
    code: 'ipsec_proposal_mismatch',
    phase: 2,
    message:
      `Phase 2: the IPsec SA came up but the remote refused to rekey it: the PFS setting differs. This tunnel uses ${ours}; ` +
      'set the same PFS group (or disable PFS) on the remote, then download its new configuration.',
  };
}

/** A rekey of an established tunnel failed: the SAs still carry traffic until they expire. */
export function rekeyFailed(what: 'IKE_SA' | 'CHILD_SA', lines: string[]): FailureReason {
  const refused = lines.some((l) => /NO_PROPOSAL_CHOSEN|no acceptable proposal|not contained in any of our proposals|already retried with DH group/.test(l));
  const phase = what === 'IKE_SA' ? 1 : 2;
  const why = refused
    ? `the remote refused the ${what === 'IKE_SA' ? 'IKE proposal (its algorithms or DH group changed?)' : 'IPsec proposal (its algorithms or PFS group changed?)'}`
    : 'the remote did not complete it';
  return {
    code: refused ? (what === 'IKE_SA' ? 'ike_proposal_mismatch' : 'ipsec_proposal_mismatch') : 'rekey_failed',
    phase,
    message:
      `The tunnel is up, but rekeying its ${what} failed: ${why}. charon retries; traffic flows until the SA expires, then the tunnel goes down. ` +
      'Check that the remote still has the configuration downloaded from the platform.',
  };
}

/** The remote took a CHILD_SA and deleted it straight away (libipsec or a kernel refusing its policy). */
export function remoteDeletedChildSa(ctx: FailureContext): FailureReason {
  return reason('remote_deleted_child_sa', 2, ctx);
}

function reason(code: FailureCode, phase: 1 | 2, ctx: FailureContext, errmsg = '', lines: string[] = []): FailureReason {
  if (code === 'ike_proposal_mismatch' || code === 'ipsec_proposal_mismatch') return { code, phase, message: proposalMessage(code, ctx, lines) };
  if (code === 'remote_id_mismatch') return { code, phase, message: remoteIdMessage(ctx, lines) };
  return { code, phase, message: MESSAGES[code](ctx, errmsg) };
}

/** What charon logged when it found no common proposal (proposal.c): both lists as it printed them. */
export interface ProposalsSeen {
  received: string;
  configured: string | null;
}

const MAX_PROPOSALS_TEXT = 300;

/**
 * The last "received proposals: ..." line of a phase (IKE:, or ESP:/AH:) and the "configured
 * proposals: ..." line after it, without the protocol prefixes. charon logs both at level 1 when
 * nothing matched (at level 2 when something did, which this level does not show).
 */
export function proposalsSeen(lines: string[], phase: 1 | 2): ProposalsSeen | null {
  const proto = phase === 1 ? /^IKE:/ : /^(ESP|AH):/;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /received proposals: (.*)$/.exec(lines[i]);
    if (!m || !proto.test(m[1])) continue;
    const conf = lines
      .slice(i + 1, i + 3)
      .map((l) => /configured proposals: (.*)$/.exec(l))
      .find(Boolean);
    return { received: plainProposals(m[1]), configured: conf ? plainProposals(conf[1]) : null };
  }
  return null;
}

/** `IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:...` without the prefixes, bounded. */
function plainProposals(list: string): string {
  const text = list.replace(/(^|, )(IKE|ESP|AH):/g, '$1');
  return text.length > MAX_PROPOSALS_TEXT ? `${text.slice(0, MAX_PROPOSALS_TEXT - 3)}...` : text;
}

function proposalMessage(code: 'ike_proposal_mismatch' | 'ipsec_proposal_mismatch', c: FailureContext, lines: string[]): string {
  const phase = code === 'ike_proposal_mismatch' ? 1 : 2;
  const ours = phase === 1 ? c.ikeProposals : c.childProposals;
  const key = phase === 1 ? 'ike' : (c.childProtocol ?? 'esp');
  const policy = phase === 1 ? 'the IKE policy' : 'the IPsec policy';
  if (!ours?.length) return MESSAGES[code](c, '');
  const fix = `set ${key}=${ours.join(',')} on the peer (strongSwan syntax; the downloadable configuration has it for each vendor) or change ${policy} here`;
  const seen = proposalsSeen(lines, phase);
  const head = phase === 1 ? 'Phase 1: no common IKE proposal' : 'Phase 2: the IKE SA is up but no common IPsec proposal';
  if (seen) return `${head}. The peer offered ${seen.received}; this tunnel accepts ${seen.configured ?? ours.join(', ')}: ${fix}.`;
  return `${head}: the peer refused this tunnel's proposals (${ours.join(', ')}): ${fix}.`;
}

/** The id the peer presented, from "looking for peer configs matching me[myid]...peer[peerid]". */
export function presentedId(lines: string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /looking for peer configs matching \S+\[[^\]]*\]\.\.\.\S+\[([^\]]*)\]/.exec(lines[i]);
    if (m) return m[1];
  }
  return null;
}

function remoteIdMessage(c: FailureContext, lines: string[]): string {
  const id = presentedId(lines);
  const said = id ? `the peer identified itself as ${id}, which matches no connection here` : "the peer's identity matches no connection here";
  return (
    `Phase 1: ${said}. This tunnel expects the remote id ${c.remoteId} (and the peer must expect ${c.localId} as this side's id): ` +
    `set the peer's local id to ${c.remoteId}, or change this tunnel's remote id.`
  );
}

const MESSAGES: Record<FailureCode, (c: FailureContext, errmsg: string) => string> = {
  psk_mismatch_or_id_mismatch: (c) =>
    `Phase 1: the peer refused authentication. Check that both sides use the same pre-shared key, and that the ids are mirrored: ` +
    `the remote's local id must be ${c.remoteId} and its remote id ${c.localId}.`,
  psk_mismatch: () =>
    "Phase 1: the peer's identity matched this tunnel but its pre-shared key differs. Set the same pre-shared key on both sides " +
    '(edit it here, or load the downloaded configuration on the peer).',
  remote_id_mismatch: (c) => remoteIdMessage(c, []),
  ike_proposal_mismatch: () =>
    'Phase 1: no common IKE proposal. Set the same IKE version, authentication and encryption algorithms and DH group on both sides.',
  ike_version_or_mode_mismatch: () => 'Phase 1: the IKE version or the IKEv1 negotiation mode (main/aggressive) differs between the two sides.',
  peer_unreachable: () =>
    'Phase 1: the peer does not answer. Check that the remote gateway is up and reachable, that UDP 500 and 4500 (and ESP) are open, ' +
    'and, if the remote is behind NAT without a fixed address, use a peer gateway of 0.0.0.0 and let the remote initiate.',
  ipsec_proposal_mismatch: () =>
    'Phase 2: the IKE SA is up but the IPsec proposal was refused. Set the same protocol (ESP/AH), IPsec algorithms and PFS group on both sides.',
  traffic_selectors_mismatch: (c) =>
    `Phase 2: the subnets are not mirrored. The remote side must use local subnets ${c.remoteCidrs.join(', ')} ` +
    `and remote subnets ${c.localCidrs.join(', ')} (the platform side's lists swapped).`,
  remote_deleted_child_sa: (c) =>
    `Phase 2: the remote accepted the IPsec SA and deleted it at once: it could not install it. Check that the remote device ` +
    `has each of its local subnets (${c.remoteCidrs.join(', ')}) configured (an interface address or route) and that no other ` +
    'tunnel there uses the same subnets.',
  rekey_failed: () => 'A rekey failed: the remote did not complete it. charon retries until the SA expires.',
  unknown: (_c, errmsg) => `The negotiation failed${errmsg ? `: ${errmsg}` : ''}. See the connection log for charon's messages.`,
};
