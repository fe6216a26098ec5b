// The spec's retry policy as a pure state machine: a failed negotiation is retried; after 3
// failed tries the tunnel shows phase 1 / phase 2 failed, and the platform keeps retrying every
// 12 seconds until it connects or is deleted (docs/spec.md, "States").
import { ConnectionState } from '../common/states';
import { FailureReason } from '../strongswan/failure-reasons';
import { DpdAction } from '../policy/tunnel-options';

export interface RetryTimings {
  /** Tries before the state turns to phase1_failed / phase2_failed. */
  triesBeforeFailed: number;
  /** Pause between the first tries (short: a transient loss should heal fast). */
  quickRetryMs: number;
  /** Pause between tries once failed: the spec's 12 s. */
  failedRetryMs: number;
}

export const SPEC_RETRY: RetryTimings = { triesBeforeFailed: 3, quickRetryMs: 1000, failedRetryMs: 12_000 };

export interface NegotiationState {
  connection: ConnectionState;
  failedTries: number;
  failure: FailureReason | null;
}

export const INITIAL: NegotiationState = { connection: 'connecting', failedTries: 0, failure: null };

export interface Decision {
  next: NegotiationState;
  /** When to try again (ms), or null when nothing is to be retried. */
  retryInMs: number | null;
}

export function onSuccess(): Decision {
  return { next: { connection: 'connected', failedTries: 0, failure: null }, retryInMs: null };
}

export function onFailure(state: NegotiationState, reason: FailureReason, t: RetryTimings = SPEC_RETRY): Decision {
  const failedTries = state.failedTries + 1;
  if (failedTries < t.triesBeforeFailed) {
    // Still "connecting" to the user; the reason is kept for the log.
    return { next: { connection: 'connecting', failedTries, failure: reason }, retryInMs: t.quickRetryMs };
  }
  return { next: { connection: reason.phase === 2 ? 'phase2_failed' : 'phase1_failed', failedTries, failure: reason }, retryInMs: t.failedRetryMs };
}

/**
 * The SA went down (DPD, remote delete): back to connecting, a fresh count, and retry at once
 * unless the tunnel's DPD action is clear or hold (the remote, or traffic through charon's trap,
 * brings it back: no retry from the worker).
 */
export function onDown(action: DpdAction = 'restart'): Decision {
  return { next: { ...INITIAL }, retryInMs: action === 'restart' ? 0 : null };
}
