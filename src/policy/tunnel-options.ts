// Tunnel options (issue 16): dead peer detection, IKE fragmentation and a TCP MSS clamp, as pure
// types, defaults and the validator. The renderers and the gateway's namespace read these, and the
// console runs this file as it is (web/src/shared.ts): no Node API here.
import { Checked, Violation, violation } from '../common/violations';

/**
 * What the platform's end does when it declares the peer dead: clear (drop the SAs and wait for
 * the remote), hold (drop them, keep a trap: traffic to the remote subnets brings the tunnel back)
 * or restart (initiate again at once).
 */
export const DPD_ACTIONS = ['clear', 'hold', 'restart'] as const;
export type DpdAction = (typeof DPD_ACTIONS)[number];

export interface DpdOptions {
  /** Seconds without traffic from the peer before a liveness check is sent. */
  delaySeconds: number;
  /** Seconds without an answer before the peer is declared dead (IKEv1; see docs/decisions.md for IKEv2). */
  timeoutSeconds: number;
  action: DpdAction;
}

export interface TunnelOptions {
  dpd: DpdOptions;
  /** IKE fragmentation (RFC 7383 for IKEv2): offered, and used when the peer supports it. */
  ikeFragmentation: boolean;
  /** The MSS TCP SYNs through the tunnel are clamped to in the gateway's namespace; null = off. */
  tcpMssClamp: number | null;
}

export const DPD_DELAY_RANGE = { min: 2, max: 300 } as const;
export const DPD_TIMEOUT_RANGE = { min: 3, max: 3600 } as const;
/** 536 is IPv4's minimum MSS; 1460 is a full 1500-byte Ethernet frame (no clamp needed above it). */
export const TCP_MSS_RANGE = { min: 536, max: 1460 } as const;

/** The seed's 8 s / 13 s; restart because the platform brings a dead tunnel back (docs/decisions.md). */
export const DEFAULT_TUNNEL_OPTIONS: TunnelOptions = Object.freeze({
  dpd: Object.freeze({ delaySeconds: 8, timeoutSeconds: 13, action: 'restart' as DpdAction }),
  ikeFragmentation: true,
  tcpMssClamp: null,
}) as TunnelOptions;

export interface TunnelOptionsInput {
  dpd?: unknown;
  ikeFragmentation?: unknown;
  tcpMssClamp?: unknown;
}

function integerIn(field: string, value: unknown, range: { min: number; max: number }, problems: Violation[]): number | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    problems.push(violation(field, `integer_${range.min}_to_${range.max}`, value, `${field} must be an integer from ${range.min} to ${range.max}`));
    return null;
  }
  return value;
}

/**
 * Checks and merges options over `current` (the stored ones, or the defaults on create): a field
 * left out keeps its value, `dpd` may give only some of its fields. tcpMssClamp null turns it off.
 */
export function checkTunnelOptions(input: TunnelOptionsInput, current: TunnelOptions = DEFAULT_TUNNEL_OPTIONS): Checked<TunnelOptions> {
  const problems: Violation[] = [];
  let dpd: DpdOptions = { ...current.dpd };
  if (input.dpd !== undefined) {
    if (input.dpd === null || typeof input.dpd !== 'object' || Array.isArray(input.dpd)) {
      problems.push(violation('dpd', 'object', input.dpd, 'dpd must be an object with delaySeconds, timeoutSeconds and/or action'));
    } else {
      const d = input.dpd as Record<string, unknown>;
      const unknownKeys = Object.keys(d).filter((k) => !['delaySeconds', 'timeoutSeconds', 'action'].includes(k));
      for (const k of unknownKeys)
        problems.push(violation(`dpd.${k}`, 'unknown_field', d[k], `dpd.${k} is not an option: dpd takes delaySeconds, timeoutSeconds and action`));
      const delay = d.delaySeconds === undefined ? dpd.delaySeconds : integerIn('dpd.delaySeconds', d.delaySeconds, DPD_DELAY_RANGE, problems);
      const timeout = d.timeoutSeconds === undefined ? dpd.timeoutSeconds : integerIn('dpd.timeoutSeconds', d.timeoutSeconds, DPD_TIMEOUT_RANGE, problems);
      let action = dpd.action;
      if (d.action !== undefined) {
        if ((DPD_ACTIONS as readonly unknown[]).includes(d.action)) action = d.action as DpdAction;
        else problems.push(violation('dpd.action', 'one_of', d.action, `dpd.action must be one of ${DPD_ACTIONS.join(', ')}`));
      }
      if (delay !== null && timeout !== null) {
        if (timeout <= delay) {
          const field = d.timeoutSeconds !== undefined ? 'dpd.timeoutSeconds' : 'dpd.delaySeconds';
          problems.push(
            violation(
              field,
              'timeout_greater_than_delay',
              field === 'dpd.timeoutSeconds' ? timeout : delay,
              `dpd.timeoutSeconds (${timeout}) must be greater than dpd.delaySeconds (${delay}): the peer is declared dead only after at least one check went unanswered`,
            ),
          );
        }
        dpd = { delaySeconds: delay, timeoutSeconds: timeout, action };
      }
    }
  }
  let ikeFragmentation = current.ikeFragmentation;
  if (input.ikeFragmentation !== undefined) {
    if (typeof input.ikeFragmentation === 'boolean') ikeFragmentation = input.ikeFragmentation;
    else problems.push(violation('ikeFragmentation', 'boolean', input.ikeFragmentation, 'ikeFragmentation must be true or false'));
  }
  let tcpMssClamp = current.tcpMssClamp;
  if (input.tcpMssClamp !== undefined) {
    tcpMssClamp = input.tcpMssClamp === null ? null : integerIn('tcpMssClamp', input.tcpMssClamp, TCP_MSS_RANGE, problems);
    if (input.tcpMssClamp !== null && tcpMssClamp === null) tcpMssClamp = current.tcpMssClamp;
  }
  if (problems.length) return { ok: false, violations: problems };
  return { ok: true, value: { dpd, ikeFragmentation, tcpMssClamp } };
}

/**
 * Whether charon's configuration of the tunnel changes (a new config version, the tunnel
 * reconnects like any edit): DPD and fragmentation are charon's; the MSS clamp is only a rule in
 * the gateway's namespace, applied in place.
 */
export function charonOptionsChanged(before: TunnelOptions, after: TunnelOptions): boolean {
  const [a, b] = [before.dpd, after.dpd];
  return (
    a.delaySeconds !== b.delaySeconds || a.timeoutSeconds !== b.timeoutSeconds || a.action !== b.action || before.ikeFragmentation !== after.ikeFragmentation
  );
}

/** The options of a stored tunnel (columns added by a migration: older rows carry the defaults). */
export function tunnelOptionsOf(t: { dpd?: DpdOptions | null; ikeFragmentation?: boolean | null; tcpMssClamp?: number | null }): TunnelOptions {
  return {
    dpd: t.dpd ?? { ...DEFAULT_TUNNEL_OPTIONS.dpd },
    ikeFragmentation: t.ikeFragmentation ?? DEFAULT_TUNNEL_OPTIONS.ikeFragmentation,
    tcpMssClamp: t.tcpMssClamp ?? null,
  };
}
