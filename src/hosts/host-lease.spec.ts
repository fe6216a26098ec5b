import { claimShare, FenceGuard, HostLease } from './host-lease';

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
    // A renewal gets through: serve again (the worker first rereads which gateways are its own).
    lease.renewed(lease.renewalStarted());
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
