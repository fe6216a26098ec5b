// The worker's view of its lease. PostgreSQL decides when a lease has expired (by its own clock:
// `lease_expires_at = now() + ttl` at each renewal); the worker cannot read that clock, so it
// counts from the moment it SENT a renewal that succeeded: the database's `now()` is later than
// that, so the worker's deadline always falls before the database's. Past its deadline (less a
// margin for the fence itself to take effect) the worker stops serving its gateways by itself:
// another host may claim them as soon as the database says the lease expired.
//
// The renewals run on a thread of their own (lease-renewer.ts), so a main event loop held for
// seconds (CPU starvation, a long GC) does not lose the lease; the thread and the main thread share
// the lease's state through a SharedArrayBuffer (SharedLeaseState) and one clock (monotonicMs).

export interface LeaseSettings {
  /** How long a renewal keeps the lease (HOST_LEASE_TTL_MS). */
  ttlMs: number;
  /** Taken off the deadline: the time a fence needs to unplug every external leg. */
  fenceMarginMs: number;
}

export type LeaseClock = () => number;

/**
 * A monotonic clock shared by every thread of the process (CLOCK_MONOTONIC, in ms): wall-clock
 * steps (NTP) must not move the deadline. Not performance.now(): each worker thread counts that
 * from its own start, so a deadline the lease thread computed would mean another time here.
 */
export const monotonicMs: LeaseClock = () => {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
};

/**
 * The main thread's stall beyond which the lease thread stops renewing: a worker whose main thread
 * hangs (a deadlock, an endless loop) must still lose its lease and be failed over. Far above any
 * stall from load or GC (seconds), and never below five TTLs.
 */
export function maxMainStallMs(ttlMs: number): number {
  return Math.max(30_000, 5 * ttlMs);
}

/** A timestamp slot that was never written ("never renewed", "never checked"). */
const NEVER = -(2n ** 63n);
const VALID_UNTIL = 0; // BigInt64 slots, microseconds of monotonicMs
const MAIN_BEAT = 1;
const CORDONED = 0; // Int32 slots
const DRAINING = 1;
const REVIVALS = 2;
const REVIVALS_CHECKED = 3;
const RENEWALS = 4;

/**
 * The lease's state in shared memory, read and written with Atomics from both threads: when the
 * lease holds until (written by the renewing thread), the main thread's heartbeat, the host's
 * flags from the last renewal, and the revivals (renewals that got through after the lease had run
 * out) the main thread has not checked yet. Built on the main thread, passed to the lease thread.
 */
export class SharedLeaseState {
  private readonly times: BigInt64Array;
  private readonly ints: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = SharedLeaseState.allocate()) {
    this.times = new BigInt64Array(buffer, 0, 2);
    this.ints = new Int32Array(buffer, 16, 5);
  }

  static allocate(): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(16 + 5 * 4);
    new BigInt64Array(buffer, 0, 2).fill(NEVER);
    return buffer;
  }

  private static read(v: bigint): number {
    return v === NEVER ? -Infinity : Number(v) / 1000;
  }

  validUntil(): number {
    return SharedLeaseState.read(Atomics.load(this.times, VALID_UNTIL));
  }

  /** Moves the deadline forward only (a late answer to an older renewal never shortens it). */
  extend(until: number): void {
    const next = BigInt(Math.floor(until * 1000));
    for (let cur = Atomics.load(this.times, VALID_UNTIL); cur < next;) {
      const seen = Atomics.compareExchange(this.times, VALID_UNTIL, cur, next);
      if (seen === cur) return;
      cur = seen;
    }
  }

  /** The main thread's last heartbeat (its event loop ran then). */
  mainBeat(): number {
    return SharedLeaseState.read(Atomics.load(this.times, MAIN_BEAT));
  }

  beat(now: number): void {
    Atomics.store(this.times, MAIN_BEAT, BigInt(Math.floor(now * 1000)));
  }

  flags(): { cordoned: boolean; draining: boolean } {
    return { cordoned: Atomics.load(this.ints, CORDONED) === 1, draining: Atomics.load(this.ints, DRAINING) === 1 };
  }

  setFlags(f: { cordoned: boolean; draining: boolean }): void {
    Atomics.store(this.ints, CORDONED, f.cordoned ? 1 : 0);
    Atomics.store(this.ints, DRAINING, f.draining ? 1 : 0);
  }

  /** Successful renewals so far (the tests watch it). */
  renewals(): number {
    return Atomics.load(this.ints, RENEWALS);
  }

  countRenewal(): void {
    Atomics.add(this.ints, RENEWALS, 1);
  }

  revived(): void {
    Atomics.add(this.ints, REVIVALS, 1);
  }

  /** The revivals so far; pass it to revivalsChecked() once ownership was checked after them. */
  revivals(): number {
    return Atomics.load(this.ints, REVIVALS);
  }

  revivalsChecked(upTo: number): void {
    Atomics.store(this.ints, REVIVALS_CHECKED, upTo);
  }

  revivalUnchecked(): boolean {
    return Atomics.load(this.ints, REVIVALS) !== Atomics.load(this.ints, REVIVALS_CHECKED);
  }
}

export class HostLease {
  constructor(
    private readonly settings: LeaseSettings,
    private readonly now: LeaseClock = monotonicMs,
    readonly state: SharedLeaseState = new SharedLeaseState(),
  ) {
    if (settings.fenceMarginMs >= settings.ttlMs) throw new Error('the fence margin must be shorter than the lease TTL');
  }

  /** Call just before sending a renewal; pass the result to renewed() when it succeeded. */
  renewalStarted(): number {
    return this.now();
  }

  /**
   * A renewal sent at `sentAt` succeeded: the lease holds until sentAt + ttl (less the margin).
   * When the lease had run out before it was sent (the renewing thread was frozen, or PostgreSQL
   * away) the database may have expired it and other hosts may have claimed gateways served here:
   * the renewal is then a revival, and the lease counts as held only once the main thread checked
   * which gateways are still placed here (revivalChecked). Returns whether it was a revival.
   */
  renewed(sentAt: number): boolean {
    const revival = this.everHeld() && sentAt >= this.state.validUntil();
    // The revival is counted BEFORE the deadline moves: a reader that sees the new deadline sees it.
    if (revival) this.state.revived();
    this.state.extend(sentAt + this.settings.ttlMs - this.settings.fenceMarginMs);
    this.state.countRenewal();
    return revival;
  }

  /**
   * The host may serve (and take over) gateways: its lease is held and not near its end, and no
   * revival waits for its ownership check.
   */
  isValid(): boolean {
    const until = this.state.validUntil(); // read before the revivals (see renewed)
    return !this.state.revivalUnchecked() && this.now() < until;
  }

  /** Milliseconds until the worker must fence (negative: overdue). */
  msLeft(): number {
    return this.state.validUntil() - this.now();
  }

  /** A renewal ever got through (this process held the lease at some point). */
  everHeld(): boolean {
    return this.state.validUntil() > -Infinity;
  }

  /** The lease was held and its deadline has passed without a renewal: stop serving. */
  lapsed(): boolean {
    return this.everHeld() && this.now() >= this.state.validUntil();
  }

  /** A renewal revived the lease after it had run out, and the main thread has not checked ownership since. */
  revivalUnchecked(): boolean {
    return this.state.revivalUnchecked();
  }

  /**
   * Call before checking which gateways are still placed here; once that check is done (copies of
   * gateways placed elsewhere unplugged), pass its result to revivalChecked().
   */
  revivalCheckStarted(): number {
    return this.state.revivals();
  }

  revivalChecked(upTo: number): void {
    this.state.revivalsChecked(upTo);
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
