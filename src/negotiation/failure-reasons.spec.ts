import { classifyFailure, FailureContext } from './failure-reasons';

const ctx: FailureContext = { localCidrs: ['10.1.1.0/24'], remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'], localId: '198.51.100.10', remoteId: '203.0.113.10' };
const IKE_UP = 'IKE_SA vpntnl-abc[3] established between 198.51.100.10[198.51.100.10]...203.0.113.10[203.0.113.10]';

describe('classifyFailure', () => {
  it.each([
    [['received AUTHENTICATION_FAILED notify error'], 'psk_mismatch_or_id_mismatch', 1],
    [['tried 1 shared key for \'198.51.100.10\' - \'203.0.113.10\', but MAC mismatched'], 'psk_mismatch_or_id_mismatch', 1],
    [['invalid HASH_V1 payload length, decryption failed?'], 'psk_mismatch_or_id_mismatch', 1],
    [['calculated HASH does not match HASH payload'], 'psk_mismatch_or_id_mismatch', 1],
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
