import {
  classifyFailure,
  FailureContext,
  flavourOfParsedRequest,
  pfsMismatch,
  presentedId,
  proposalsSeen,
  rekeyFailed,
  versionOrModeMismatch,
} from './failure-reasons';

const ctx: FailureContext = {
  localCidrs: ['10.1.1.0/24'],
  remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'],
  localId: '198.51.100.10',
  remoteId: '203.0.113.10',
};
const IKE_UP = 'IKE_SA vpntnl-abc[3] established between 198.51.100.10[198.51.100.10]...203.0.113.10[203.0.113.10]';

describe('classifyFailure', () => {
  it.each([
    [['received AUTHENTICATION_FAILED notify error'], 'psk_mismatch_or_id_mismatch', 1],
    // As the responder charon found the peer's config and the key failed: the PSK alone (issue 16).
    [["tried 1 shared key for '198.51.100.10' - '203.0.113.10', but MAC mismatched"], 'psk_mismatch', 1],
    [['invalid HASH_V1 payload length, decryption failed?'], 'psk_mismatch_or_id_mismatch', 1],
    [['calculated HASH does not match HASH payload'], 'psk_mismatch_or_id_mismatch', 1],
    // IKEv1 initiator, seen in the lab: the remote's notify is encrypted with other keys, then our retransmits go unanswered.
    [
      [
        'message parsing failed',
        'ignore malformed INFORMATIONAL request',
        'INFORMATIONAL_V1 request with message ID 3938840781 processing failed',
        'giving up after 2 retransmits',
        'establishing IKE_SA failed, peer not responding',
      ],
      'psk_mismatch_or_id_mismatch',
      1,
    ],
    [['received NO_PROPOSAL_CHOSEN notify error'], 'ike_proposal_mismatch', 1],
    [['received proposals unacceptable'], 'ike_proposal_mismatch', 1],
    [['retransmit 2 of request with message ID 0', 'giving up after 2 retransmits', 'establishing IKE_SA failed, peer not responding'], 'peer_unreachable', 1],
    [[IKE_UP, 'received TS_UNACCEPTABLE notify, no CHILD_SA built'], 'traffic_selectors_mismatch', 2],
    [[IKE_UP, 'received INVALID_ID_INFORMATION error notify'], 'traffic_selectors_mismatch', 2],
    [[IKE_UP, 'received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built', 'failed to establish CHILD_SA, keeping IKE_SA'], 'ipsec_proposal_mismatch', 2],
    // IKEv1 Quick Mode: only NO_PROPOSAL_CHOSEN, but after the IKE SA is up: phase 2.
    [[IKE_UP, 'received NO_PROPOSAL_CHOSEN error notify'], 'ipsec_proposal_mismatch', 2],
    [['Aggressive Mode PSK disabled for security reasons'], 'ike_version_or_mode_mismatch', 1],
  ])('%j -> %s (phase %d)', (lines, code, phase) => {
    const r = classifyFailure(lines as string[], ctx);
    expect(r.code).toBe(code);
    expect(r.phase).toBe(phase);
  });

  it('names the mirrored subnets the remote must use on a traffic selector mismatch', () => {
    const r = classifyFailure([IKE_UP, 'received TS_UNACCEPTABLE notify, no CHILD_SA built'], ctx);
    expect(r.message).toContain('local subnets 172.16.1.0/24, 172.16.2.0/24');
    expect(r.message).toContain('remote subnets 10.1.1.0/24');
  });

  it('names the mirrored ids on an authentication failure', () => {
    const r = classifyFailure(['received AUTHENTICATION_FAILED notify error'], ctx);
    expect(r.message).toContain('local id must be 203.0.113.10');
  });

  it("an IKE SA that is up (though not in this attempt's log) makes a failure phase 2", () => {
    expect(classifyFailure(['received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built'], ctx, '', true)).toMatchObject({
      code: 'ipsec_proposal_mismatch',
      phase: 2,
    });
    expect(classifyFailure(['establishing CHILD_SA failed'], ctx, '', true).phase).toBe(2);
  });

  it('falls back to unknown with the errmsg, phase by whether the IKE SA came up', () => {
    expect(classifyFailure(['something odd'], ctx, 'CHILD_SA x not established after 5000ms')).toMatchObject({ code: 'unknown', phase: 1 });
    expect(classifyFailure([IKE_UP, 'something odd'], ctx).phase).toBe(2);
    expect(classifyFailure([], ctx, 'boom').message).toContain('boom');
  });
});

describe("reasons beyond one attempt's lines", () => {
  it('a retransmitted request whose answer came is not an unreachable peer', () => {
    const r = classifyFailure(['retransmit 1 of request with message ID 1', IKE_UP, 'received TS_UNACCEPTABLE notify, no CHILD_SA built'], ctx);
    expect(r).toMatchObject({ code: 'traffic_selectors_mismatch', phase: 2 });
    expect(classifyFailure(['retransmit 1 of request with message ID 0'], ctx).code).toBe('unknown');
  });

  it('reads the IKE version and mode of a parsed request', () => {
    expect(flavourOfParsedRequest('parsed ID_PROT request 0 [ SA V V V V V ]')).toBe('IKEv1 main mode');
    expect(flavourOfParsedRequest('parsed AGGRESSIVE request 0 [ SA KE No ID V V V V ]')).toBe('IKEv1 aggressive mode');
    expect(flavourOfParsedRequest('parsed IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]')).toBe('IKEv2');
    expect(flavourOfParsedRequest('parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]')).toBeNull();
    expect(flavourOfParsedRequest('parsed INFORMATIONAL request 5 [ ]')).toBeNull();
  });

  it('a phase 1 refusal from a peer seen speaking another IKE version is a version mismatch', () => {
    const refused = classifyFailure(['received NO_PROPOSAL_CHOSEN notify error'], ctx);
    expect(refused.code).toBe('ike_proposal_mismatch');
    const r = versionOrModeMismatch(refused, 'IKEv2', 'IKEv1 main mode');
    expect(r).toMatchObject({ code: 'ike_version_or_mode_mismatch', phase: 1 });
    expect(r.message).toContain('initiates with IKEv1 main mode, but this tunnel uses IKEv2');
    // Same flavour, nothing seen, or a phase 2 failure: left as it was.
    expect(versionOrModeMismatch(refused, 'IKEv2', 'IKEv2')).toBe(refused);
    expect(versionOrModeMismatch(refused, 'IKEv2', null)).toBe(refused);
    const ts = classifyFailure([IKE_UP, 'received TS_UNACCEPTABLE notify, no CHILD_SA built'], ctx);
    expect(versionOrModeMismatch(ts, 'IKEv2', 'IKEv1 main mode')).toBe(ts);
  });

  it('a refused connect-time rekey names PFS and what this side uses', () => {
    expect(pfsMismatch('2')).toMatchObject({ code: 'ipsec_proposal_mismatch', phase: 2 });
    expect(pfsMismatch('2').message).toMatch(/PFS setting differs.*PFS with DH group 2/);
    expect(pfsMismatch('disable').message).toContain('uses no PFS');
  });

  it('a failed rekey of an established tunnel says what was refused and that traffic still flows', () => {
    const child = rekeyFailed('CHILD_SA', ['received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built', 'CHILD_SA rekeying failed, trying again in 15 seconds']);
    expect(child).toMatchObject({ code: 'ipsec_proposal_mismatch', phase: 2 });
    expect(child.message).toMatch(/rekeying its CHILD_SA failed.*traffic flows until the SA expires/);
    expect(rekeyFailed('IKE_SA', ['IKE_SA rekeying failed, trying again in 10 seconds'])).toMatchObject({ code: 'rekey_failed', phase: 1 });
  });
});

// Lines as charon 5.9.8 prints them (proposal.c proposal_select / proposal_printf_hook: "%N:" then
// the transforms joined by "/", key sizes appended; ike_auth.c; phase1.c; psk_authenticator.c).
describe('what the peer offered and what we accept (issue 16)', () => {
  const withOurs: FailureContext = { ...ctx, ikeProposals: ['aes128-sha1-modp1024'], childProposals: ['aes128-sha1-modp1024'], childProtocol: 'esp' };
  const ikeRefused = [
    '[CFG] received proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048',
    '[CFG] configured proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024',
    '[IKE] received proposals unacceptable',
  ];

  it("names the peer's proposal, ours, and the line to set on the peer", () => {
    const r = classifyFailure(ikeRefused, withOurs);
    expect(r).toMatchObject({ code: 'ike_proposal_mismatch', phase: 1 });
    expect(r.message).toBe(
      'Phase 1: no common IKE proposal. The peer offered AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048; ' +
        'this tunnel accepts AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024: set ike=aes128-sha1-modp1024 on the peer ' +
        '(strongSwan syntax; the downloadable configuration has it for each vendor) or change the IKE policy here.',
    );
  });

  it('with several proposals on either side, lists them all', () => {
    const seen = proposalsSeen(
      [
        '[CFG] received proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384, IKE:AES_CBC_256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/CURVE_25519',
        '[CFG] configured proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024',
      ],
      1,
    );
    expect(seen).toEqual({
      received: 'AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384, AES_CBC_256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/CURVE_25519',
      configured: 'AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024',
    });
  });

  it('phase 2: the ESP proposals of a CHILD_SA the peer asked for', () => {
    const r = classifyFailure(
      [
        IKE_UP,
        '[CFG] received proposals: ESP:AES_GCM_16_256/ECP_384/NO_EXT_SEQ',
        '[CFG] configured proposals: ESP:AES_CBC_128/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ',
        '[IKE] no acceptable proposal found',
        '[IKE] failed to establish CHILD_SA, keeping IKE_SA',
      ],
      withOurs,
    );
    expect(r).toMatchObject({ code: 'ipsec_proposal_mismatch', phase: 2 });
    expect(r.message).toContain(
      'The peer offered AES_GCM_16_256/ECP_384/NO_EXT_SEQ; this tunnel accepts AES_CBC_128/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ: set esp=aes128-sha1-modp1024 on the peer',
    );
    expect(r.message).toContain('change the IPsec policy here');
    // An IKE line does not answer a phase 2 question, nor the reverse.
    expect(proposalsSeen(ikeRefused, 2)).toBeNull();
  });

  it('as the initiator only the refusal is seen: it says which proposals of ours were refused', () => {
    const r = classifyFailure(['[IKE] received NO_PROPOSAL_CHOSEN notify error'], withOurs);
    expect(r.message).toBe(
      "Phase 1: no common IKE proposal: the peer refused this tunnel's proposals (aes128-sha1-modp1024): set ike=aes128-sha1-modp1024 on the peer " +
        '(strongSwan syntax; the downloadable configuration has it for each vendor) or change the IKE policy here.',
    );
  });

  it('keeps a long list readable', () => {
    const long = `[CFG] received proposals: ${Array.from({ length: 30 }, () => 'IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048').join(', ')}`;
    expect(proposalsSeen([long], 1)!.received.length).toBe(300);
  });
});

describe("a wrong remote id and a wrong PSK are told apart where charon's lines allow (issue 16)", () => {
  it('an identity that matches no connection (IKEv2 responder) is remote_id_mismatch, naming the id the peer sent', () => {
    const lines = [
      '[CFG] looking for peer configs matching 198.51.100.10[198.51.100.10]...203.0.113.10[wrong.example.net]',
      '[CFG] no matching peer config found',
    ];
    expect(presentedId(lines)).toBe('wrong.example.net');
    const r = classifyFailure(lines, ctx);
    expect(r).toMatchObject({ code: 'remote_id_mismatch', phase: 1 });
    expect(r.message).toBe(
      'Phase 1: the peer identified itself as wrong.example.net, which matches no connection here. This tunnel expects the remote id 203.0.113.10 ' +
        "(and the peer must expect 198.51.100.10 as this side's id): set the peer's local id to 203.0.113.10, or change this tunnel's remote id.",
    );
  });

  it('IKEv1 responder: "no peer config found" is remote_id_mismatch too', () => {
    expect(classifyFailure(['[IKE] no peer config found'], ctx).code).toBe('remote_id_mismatch');
  });

  it("the peer's config was found and the MAC failed (IKEv2 responder): psk_mismatch", () => {
    const r = classifyFailure(
      [
        '[CFG] looking for peer configs matching 198.51.100.10[198.51.100.10]...203.0.113.10[203.0.113.10]',
        '[CFG]   candidate "ipsvpn_vpntnl-abc", match: 1/1/28 (me/other/ike)',
        "[CFG] selected peer config 'ipsvpn_vpntnl-abc'",
        "[IKE] tried 1 shared key for '198.51.100.10' - '203.0.113.10', but MAC mismatched",
        '[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]',
      ],
      ctx,
    );
    expect(r.code).toBe('psk_mismatch');
    expect(r.message).toContain('pre-shared key differs');
  });

  it('as the initiator, AUTHENTICATION_FAILED says neither: the combined code stays', () => {
    expect(classifyFailure(['[IKE] received AUTHENTICATION_FAILED notify error'], ctx).code).toBe('psk_mismatch_or_id_mismatch');
  });

  it('an id mismatch is also what a peer speaking another IKE version may cause', () => {
    const r = versionOrModeMismatch(classifyFailure(['[CFG] no matching peer config found'], ctx), 'IKEv2', 'IKEv1 main mode');
    expect(r.code).toBe('ike_version_or_mode_mismatch');
  });
});
