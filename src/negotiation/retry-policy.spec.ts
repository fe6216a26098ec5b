import { FailureReason } from '../strongswan/failure-reasons';
import { INITIAL, onDown, onFailure, onSuccess, SPEC_RETRY } from './retry-policy';

const phase1: FailureReason = { phase: 1, code: 'psk_mismatch_or_id_mismatch', message: 'x' };
const phase2: FailureReason = { phase: 2, code: 'traffic_selectors_mismatch', message: 'y' };

describe('retry policy', () => {
  it('stays connecting for the first two failures, retrying quickly', () => {
    const first = onFailure(INITIAL, phase1);
    expect(first.next.connection).toBe('connecting');
    expect(first.retryInMs).toBe(SPEC_RETRY.quickRetryMs);
    const second = onFailure(first.next, phase1);
    expect(second.next).toMatchObject({ connection: 'connecting', failedTries: 2 });
  });

  it('turns phase1_failed on the third failure and then retries every 12 s', () => {
    let s = INITIAL;
    for (let i = 0; i < 2; i++) s = onFailure(s, phase1).next;
    const third = onFailure(s, phase1);
    expect(third.next.connection).toBe('phase1_failed');
    expect(third.retryInMs).toBe(12_000);
    const fourth = onFailure(third.next, phase1);
    expect(fourth.next.connection).toBe('phase1_failed');
    expect(fourth.retryInMs).toBe(12_000);
  });

  it('reports phase2_failed when the IKE SA came up but the CHILD_SA did not', () => {
    let s = INITIAL;
    for (let i = 0; i < 3; i++) s = onFailure(s, phase2).next;
    expect(s).toMatchObject({ connection: 'phase2_failed', failure: phase2 });
  });

  it('success resets the count; a later outage starts over at connecting', () => {
    let s = INITIAL;
    for (let i = 0; i < 3; i++) s = onFailure(s, phase1).next;
    expect(onSuccess().next).toEqual({ connection: 'connected', failedTries: 0, failure: null });
    expect(onDown()).toEqual({ next: INITIAL, retryInMs: 0 });
    // DPD action clear / hold: the remote or charon's trap brings it back.
    expect(onDown('clear')).toEqual({ next: INITIAL, retryInMs: null });
    expect(onDown('hold')).toEqual({ next: INITIAL, retryInMs: null });
  });
});
