import { classifyFailure, FailureContext, flavourOfParsedRequest, pfsMismatch, rekeyFailed, versionOrModeMismatch } from './failure-reasons';

const ctx: FailureContext = { localCidrs: ['10.1.1.0/24'], remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'], localId: '198.51.100.10', remoteId: '203.0.113.10' };
const IKE_UP = 'IKE_SA vpntnl-abc[3] established between 198.51.100.10[198.51.100.10]...203.0.113.10[203.0.113.10]';

describe('classifyFailure', () => {
  it.each([
    [['received AUTHENTICATION_FAILED notify error'], 'psk_mismatch_or_id_mismatch', 1],
    [['tried 1 shared key for \'198.51.100.10\' - \'203.0.113.10\', but MAC mismatched'], 'psk_mismatch_or_id_mismatch', 1],
    [['invalid HASH_V1 payload length, decryption failed?'], 'psk_mismatch_or_id_mismatch', 1],
    [['calculated HASH does not match HASH payload'], 'psk_mismatch_or_id_mismatch', 1],
    // IKEv1 initiator, seen in the lab: the remote's notify is encrypted with other keys, then our retransmits go unanswered.
    [['message parsing failed', 'ignore malformed INFORMATIONAL request', 'INFORMATIONAL_V1 request with message ID 3938840781 processing failed',
      'giving up after 2 retransmits', 'establishing IKE_SA failed, peer not responding'], 'psk_mismatch_or_id_mismatch', 1],
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

  it('an IKE SA that is up (though not in this attempt\'s log) makes a failure phase 2', () => {
    expect(classifyFailure(['received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built'], ctx, '', true)).toMatchObject({ code: 'ipsec_proposal_mismatch', phase: 2 });
    expect(classifyFailure(['establishing CHILD_SA failed'], ctx, '', true).phase).toBe(2);
  });

  it('falls back to unknown with the errmsg, phase by whether the IKE SA came up', () => {
    expect(classifyFailure(['something odd'], ctx, 'CHILD_SA x not established after 5000ms')).toMatchObject({ code: 'unknown', phase: 1 });
    expect(classifyFailure([IKE_UP, 'something odd'], ctx).phase).toBe(2);
    expect(classifyFailure([], ctx, 'boom').message).toContain('boom');
  });
});

describe('reasons beyond one attempt\'s lines', () => {
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
