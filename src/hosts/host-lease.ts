// The worker's view of its lease. PostgreSQL decides when a lease has expired (by its own clock:
// `lease_expires_at = now() + ttl` at each renewal); the worker cannot read that clock, so it
// counts from the moment it SENT a renewal that succeeded: the database's `now()` is later than
// that, so the worker's deadline always falls before the database's. Past its deadline (less a
// margin for the fence itself to take effect) the worker stops serving its gateways by itself:
// another host may claim them as soon as the database says the lease expired.

export interface LeaseSettings {
  /** How long a renewal keeps the lease (HOST_LEASE_TTL_MS). */
  ttlMs: number;
  /** Taken off the deadline: the time a fence needs to unplug every external leg. */
  fenceMarginMs: number;
}

export type LeaseClock = () => number;

/** A monotonic clock: wall-clock steps (NTP) must not move the deadline. */
export const monotonicMs: LeaseClock = () => performance.now();

export class HostLease {
  private validUntil = -Infinity;
  private everHeld = false;

  constructor(
    private readonly settings: LeaseSettings,
    private readonly now: LeaseClock = monotonicMs,
  ) {
    if (settings.fenceMarginMs >= settings.ttlMs) throw new Error('the fence margin must be shorter than the lease TTL');
  }

  /** Call just before sending a renewal; pass the result to renewed() when it succeeded. */
  renewalStarted(): number {
    return this.now();
  }

  /** A renewal sent at `sentAt` succeeded: the lease holds until sentAt + ttl (less the margin). */
  renewed(sentAt: number): void {
    this.everHeld = true;
    this.validUntil = Math.max(this.validUntil, sentAt + this.settings.ttlMs - this.settings.fenceMarginMs);
  }

  /** The host may serve (and take over) gateways: its lease is held and not near its end. */
  isValid(): boolean {
    return this.now() < this.validUntil;
  }

  /** Milliseconds until the worker must fence (negative: overdue). */
  msLeft(): number {
    return this.validUntil - this.now();
  }

  /** The lease was held and has now run out without a renewal: stop serving. */
  lapsed(): boolean {
    return this.everHeld && !this.isValid();
  }
}

/**
 * Fencing state of a worker. The lease lapsing means "this host could not reach PostgreSQL in
 * time", which also happens when PostgreSQL is down for every host: then nobody can claim the
 * gateways and fencing would only turn a control-plane outage into a data-plane one. So a lapsed
 * lease fences only with evidence that another host is renewing its lease (it reaches PostgreSQL
 * and may claim ours); without it the host holds on and keeps serving (a claimer's attach takes
 * the addresses over anyway). A renewal that gets through again resumes.
 */
export class FenceGuard {
  private fenced = false;
  private holding = false;

  constructor(private readonly lease: HostLease) {}

  /**
   * What the watchdog tick must do now, given whether another host renewed its lease recently
   * (null: not known yet, decide later).
   */
  next(othersRenewing: boolean | null): 'fence' | 'hold' | 'resume' | 'none' {
    if (!this.fenced && this.lease.lapsed()) {
      if (othersRenewing === null) return 'none';
      if (othersRenewing) {
        this.fenced = true;
        this.holding = false;
        return 'fence';
      }
      if (this.holding) return 'none';
      this.holding = true;
      return 'hold';
    }
    this.holding = false;
    if (this.fenced && this.lease.isValid()) {
      this.fenced = false;
      return 'resume';
    }
    return 'none';
  }

  isFenced(): boolean {
    return this.fenced;
  }
}

/** A write about a gateway (or one of its tunnels) made by `hostId` under ownership epoch `epoch`. */
export interface OwnershipFence {
  hostId: string;
  epoch: number;
}

/**
 * How many orphaned gateways (their host's lease expired) this host takes in one claim: an equal
 * share among the live hosts, rounded up, and never beyond its spare capacity.
 */
export function claimShare(orphans: number, liveHosts: number, spare: number): number {
  if (orphans <= 0 || spare <= 0) return 0;
  return Math.min(spare, Math.ceil(orphans / Math.max(1, liveHosts)));
}

// SQL conditions on a gateway_hosts row aliased `h`, judged by the database's clock.
/** The host's lease has run out; a host that never held one (an old worker) counts by its last heartbeat. */
export const LEASE_EXPIRED = `coalesce(h.lease_expires_at, h.last_seen_at + interval '30 seconds') < now()`;
/** The liveness window of a host that never held a lease (matches LEASE_EXPIRED's fallback). */
export const LEGACY_LIVENESS_SECONDS = 30;
/** The host holds its lease: it serves its gateways. */
export const LEASE_HELD = `h.lease_expires_at > now()`;
/** New and moved gateways may go to the host: lease held, not cordoned, not draining. */
export const PLACEABLE = `${LEASE_HELD} AND NOT h.cordoned AND h.drain_started_at IS NULL`;
