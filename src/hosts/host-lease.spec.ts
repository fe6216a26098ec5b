import { Worker } from 'worker_threads';
import { claimShare, FenceGuard, HostLease, maxMainStallMs, monotonicMs, SharedLeaseState } from './host-lease';

function clock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('HostLease', () => {
  it('holds from the moment the renewal was SENT, not answered, less the fence margin', () => {
    const c = clock();
    const lease = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now);
    expect(lease.isValid()).toBe(false);
    const sentAt = lease.renewalStarted();
    c.advance(300); // the answer took 300 ms: the database's expiry is >= sentAt + ttl
    lease.renewed(sentAt);
    expect(lease.msLeft()).toBe(4000 - 500 - 300);
    c.advance(3199);
    expect(lease.isValid()).toBe(true);
    c.advance(1);
    expect(lease.isValid()).toBe(false);
    expect(lease.lapsed()).toBe(true);
  });

  it('a late answer to an older renewal never shortens the lease', () => {
    const c = clock();
    const lease = new HostLease({ ttlMs: 4000, fenceMarginMs: 0 }, c.now);
    const older = lease.renewalStarted();
    c.advance(1000);
    const newer = lease.renewalStarted();
    lease.renewed(newer);
    lease.renewed(older);
    expect(lease.msLeft()).toBe(4000);
  });

  it('a renewal sent after the lease ran out (the renewer was frozen too) is a revival: not held until ownership was checked', () => {
    const c = clock();
    const lease = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now);
    expect(lease.renewed(lease.renewalStarted())).toBe(false); // the first renewal is no revival
    c.advance(3499);
    expect(lease.renewed(lease.renewalStarted())).toBe(false); // in time
    c.advance(3500); // the whole process stopped for longer than the lease
    const sentAt = lease.renewalStarted();
    c.advance(5);
    expect(lease.renewed(sentAt)).toBe(true);
    expect(lease.lapsed()).toBe(false);
    expect(lease.msLeft()).toBe(3495);
    expect(lease.revivalUnchecked()).toBe(true);
    expect(lease.isValid()).toBe(false);
    // A second revival while the first is being checked stays unchecked after that check.
    const upTo = lease.revivalCheckStarted();
    c.advance(3500);
    expect(lease.renewed(lease.renewalStarted())).toBe(true);
    lease.revivalChecked(upTo);
    expect(lease.isValid()).toBe(false);
    lease.revivalChecked(lease.revivalCheckStarted());
    expect(lease.isValid()).toBe(true);
  });

  it('refuses a margin that leaves no lease', () => {
    expect(() => new HostLease({ ttlMs: 1000, fenceMarginMs: 1000 })).toThrow(/margin/);
  });
});

describe('FenceGuard: self-fence on a missed renewal', () => {
  it('never fences a host that never held its lease (still starting)', () => {
    const c = clock();
    const guard = new FenceGuard(new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now));
    c.advance(60_000);
    expect(guard.next(true)).toBe('none');
  });

  it('fences once when renewals stop while another host renews, and resumes once a renewal succeeds again', () => {
    const c = clock();
    const lease = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now);
    const guard = new FenceGuard(lease);
    lease.renewed(lease.renewalStarted());
    // Renewed every second: never fenced.
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      lease.renewed(lease.renewalStarted());
      expect(guard.next(true)).toBe('none');
    }
    // Cut off from PostgreSQL (or frozen) while another host renews: no renewal for 3.5 s -> fence, exactly once.
    c.advance(3499);
    expect(guard.next(true)).toBe('none');
    c.advance(1);
    expect(guard.next(true)).toBe('fence');
    expect(guard.isFenced()).toBe(true);
    c.advance(10_000);
    expect(guard.next(true)).toBe('none');
    // A renewal gets through: a revival, so not held until the worker checked which gateways are
    // still its own; then serve again.
    expect(lease.renewed(lease.renewalStarted())).toBe(true);
    expect(guard.next(true)).toBe('none');
    lease.revivalChecked(lease.revivalCheckStarted());
    expect(guard.next(true)).toBe('resume');
    expect(guard.isFenced()).toBe(false);
    expect(guard.next(true)).toBe('none');
  });

  it('holds on (keeps serving) while no other host renews either: PostgreSQL is down for everyone', () => {
    const c = clock();
    const lease = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now);
    const guard = new FenceGuard(lease);
    lease.renewed(lease.renewalStarted());
    c.advance(3500);
    expect(guard.next(null)).toBe('none'); // not known yet
    expect(guard.next(false)).toBe('hold');
    c.advance(30_000);
    expect(guard.next(false)).toBe('none');
    expect(guard.isFenced()).toBe(false);
    // Another host gets through to PostgreSQL (it may claim our gateways now): fence.
    expect(guard.next(true)).toBe('fence');
  });
});

describe("claimShare: spreading a lost host's gateways over the live hosts", () => {
  it('takes an equal share, rounded up, within spare capacity', () => {
    expect(claimShare(25, 1, 50)).toBe(25);
    expect(claimShare(25, 2, 50)).toBe(13);
    expect(claimShare(25, 2, 5)).toBe(5);
    expect(claimShare(3, 4, 10)).toBe(1);
  });

  it('takes nothing without orphans or room', () => {
    expect(claimShare(0, 2, 10)).toBe(0);
    expect(claimShare(10, 2, 0)).toBe(0);
    expect(claimShare(10, 2, -3)).toBe(0);
    expect(claimShare(10, 0, 4)).toBe(4);
  });
});

describe('SharedLeaseState: the lease between the lease thread and the main thread', () => {
  it('two HostLeases over one state: what one renews the other sees, the deadline only moves forward', () => {
    const c = clock();
    const state = new SharedLeaseState();
    const renewer = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now, state);
    const main = new HostLease({ ttlMs: 4000, fenceMarginMs: 500 }, c.now, new SharedLeaseState(state.buffer));
    expect(main.isValid()).toBe(false);
    expect(main.lapsed()).toBe(false); // never held
    renewer.renewed(c.now());
    expect(main.isValid()).toBe(true);
    expect(main.msLeft()).toBe(3500);
    renewer.renewed(c.now() - 1000);
    expect(main.msLeft()).toBe(3500);
    state.setFlags({ cordoned: true, draining: false });
    expect(new SharedLeaseState(state.buffer).flags()).toEqual({ cordoned: true, draining: false });
    expect(state.renewals()).toBe(2);
    expect(state.mainBeat()).toBe(-Infinity);
    state.beat(1234.5);
    expect(state.mainBeat()).toBe(1234.5);
  });

  it('another thread reads the same clock and writes into the same buffer', async () => {
    const state = new SharedLeaseState();
    // A plain script thread reading CLOCK_MONOTONIC as monotonicMs does: the same time as here.
    const worker = new Worker(
      `const { workerData, parentPort } = require('worker_threads');
       const [s, ns] = process.hrtime();
       const now = s * 1000 + ns / 1e6;
       const t = new BigInt64Array(workerData, 0, 2);
       Atomics.store(t, 0, BigInt(Math.floor((now + 4000) * 1000)));
       parentPort.postMessage(now);`,
      { eval: true, workerData: state.buffer },
    );
    const before = monotonicMs();
    const seen = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    const after = monotonicMs();
    await worker.terminate();
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(after);
    expect(state.validUntil()).toBeCloseTo(seen + 4000, 2);
  });

  it('the main-stall guard: at least 30 s and five TTLs', () => {
    expect(maxMainStallMs(4000)).toBe(30_000);
    expect(maxMainStallMs(10_000)).toBe(50_000);
  });
});
