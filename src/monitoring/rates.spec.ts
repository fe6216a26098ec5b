import fc from 'fast-check';
import { accumulate, counterIncrease, installedWithin, nicTraffic, NO_TRAFFIC, SaCounters, toRates, Traffic, tunnelTraffic, utilization } from './rates';

const sa = (key: string, bytes: number, installedSecondsAgo: number | null = 100, packets = Math.floor(bytes / 100)): SaCounters => ({
  key,
  installedSecondsAgo,
  bytesIn: bytes,
  bytesOut: bytes * 2,
  packetsIn: packets,
  packetsOut: packets * 2,
});

/** Runs a sequence of listings 10 s apart; returns each period's traffic. */
function run(listings: SaCounters[][], elapsed = 10): Traffic[] {
  let baseline: Map<string, Traffic> | null = null;
  return listings.map((l) => {
    const r = tunnelTraffic(baseline, l, elapsed);
    baseline = r.baseline;
    return r.traffic;
  });
}

describe('tunnelTraffic', () => {
  it('first look: no traffic (nothing to compare with), then the growth of each SA', () => {
    const [first, second] = run([[sa('1:c1', 5000)], [sa('1:c1', 7000, 110)]]);
    expect(first).toEqual(NO_TRAFFIC);
    expect(second).toEqual({ bytesIn: 2000, bytesOut: 4000, packetsIn: 20, packetsOut: 40 });
  });

  it('sums the SAs of a tunnel (IKEv1: one CHILD_SA per subnet pair)', () => {
    const [, t] = run([
      [sa('1:a', 1000), sa('2:b', 500)],
      [sa('1:a', 1600, 110), sa('2:b', 900, 110)],
    ]);
    expect(t.bytesIn).toBe(1000);
  });

  it('a rekey: the old SA disappears, the new one (installed within the period) counts from 0', () => {
    const periods = run([[sa('1:old', 900_000)], [sa('1:old', 1_000_000, 110)], [sa('2:new', 30_000, 4)]]);
    expect(periods[2].bytesIn).toBe(30_000); // not -970,000 and not 30,000 - 1,000,000
  });

  it('make-before-break: old and new SA listed together are each counted for what they carried, never twice', () => {
    const periods = run([
      [sa('1:old', 1_000_000)],
      [sa('1:old', 1_010_000, 110), sa('2:new', 5_000, 3)], // both INSTALLED / old REKEYED
      [sa('2:new', 25_000, 13)], // old gone
    ]);
    expect(periods.map((p) => p.bytesIn)).toEqual([0, 15_000, 20_000]);
  });

  it('a charon restart: unique ids restart at 1 with lower counters; keys carry the SPI, so nothing goes negative', () => {
    const periods = run([[sa('1:c1aa', 8_000_000)], [sa('1:c1aa', 8_100_000, 110)], [], [sa('1:c2bb', 40_000, 5)], [sa('1:c2bb', 90_000, 15)]]);
    expect(periods.map((p) => p.bytesIn)).toEqual([0, 100_000, 0, 40_000, 50_000]);
  });

  it('a counter that went backwards on the same key is a reset: counted from 0 only if installed within the period', () => {
    expect(run([[sa('k', 5_000_000)], [sa('k', 2_000, 3)]])[1].bytesIn).toBe(2_000);
    expect(run([[sa('k', 5_000_000)], [sa('k', 2_000, 500)]])[1].bytesIn).toBe(0);
  });

  it('an unseen SA older than the period (worker restart, missed listing) is not attributed to the period: no spike', () => {
    const [, t] = run([[], [sa('9:x', 50_000_000_000, 3600)]]);
    expect(t).toEqual(NO_TRAFFIC);
  });

  it('install-time is whole seconds: an SA is new only when certainly younger than the period', () => {
    expect(installedWithin(9, 10)).toBe(true);
    expect(installedWithin(10, 10)).toBe(false); // 10.0..10.99 s old: maybe before the last look
    expect(installedWithin(0, 1)).toBe(true);
    expect(installedWithin(null, 10)).toBe(false);
    expect(run([[], [sa('n', 700, 10)]], 10)[1].bytesIn).toBe(0);
  });

  it('an SA a listing skipped is counted exactly when it shows up again; one gone for good is forgotten after 3 looks', () => {
    const periods = run([[sa('a', 1000)], [], [sa('a', 5000, 120)]]);
    expect(periods.map((p) => p.bytesIn)).toEqual([0, 0, 4000]);
    let baseline: Map<string, Traffic> | null = tunnelTraffic(null, [sa('a', 1000)], 10).baseline;
    for (let i = 0; i < 3; i++) baseline = tunnelTraffic(baseline, [], 10).baseline;
    expect(baseline.has('a')).toBe(true);
    expect(tunnelTraffic(baseline, [], 10).baseline.has('a')).toBe(false);
  });

  it('an SA listed twice in one listing counts once', () => {
    const [, t] = run([[sa('a', 100)], [sa('a', 300, 110), sa('a', 300, 110)]]);
    expect(t.bytesIn).toBe(200);
  });

  it('a zero or negative elapsed time yields no traffic', () => {
    expect(tunnelTraffic(new Map([['a', sa('a', 1)]]), [sa('a', 100)], 0).traffic).toEqual(NO_TRAFFIC);
  });

  it('property: for any sequence of listings (rekeys, restarts, resets), every period is >= 0 and no period exceeds what the SAs carried since the last look', () => {
    const listing = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), bytes: fc.nat(1e9), age: fc.option(fc.nat(100), { nil: null }) }), {
      maxLength: 4,
    });
    fc.assert(
      fc.property(fc.array(listing, { maxLength: 12 }), fc.integer({ min: 1, max: 30 }), (seq, elapsed) => {
        let baseline: Map<string, Traffic> | null = null;
        for (const l of seq) {
          const current = l.map((x) => sa(x.key, x.bytes, x.age));
          const { traffic, baseline: next } = tunnelTraffic(baseline, current, elapsed);
          const first = new Map<string, number>();
          for (const c of current) if (!first.has(c.key)) first.set(c.key, c.bytesIn);
          const bound = [...first.values()].reduce((s, n) => s + n, 0); // all counters of the listed SAs
          if (traffic.bytesIn < 0 || traffic.packetsOut < 0 || traffic.bytesIn > bound) return false;
          baseline = next;
        }
        return true;
      }),
    );
  });
});

describe('NIC counters', () => {
  it('increase, 0 on the first look and on a reset (interface recreated)', () => {
    expect(counterIncrease(null, 500)).toBe(0);
    expect(counterIncrease(500, 800)).toBe(300);
    expect(counterIncrease(800, 100)).toBe(0);
    const t = nicTraffic({ bytesIn: 10, bytesOut: 10, packetsIn: 1, packetsOut: 1 }, { bytesIn: 5, bytesOut: 30, packetsIn: 2, packetsOut: 0 });
    expect(t).toEqual({ bytesIn: 0, bytesOut: 20, packetsIn: 1, packetsOut: 0 });
  });
});

describe('rates and totals', () => {
  it('bits and packets per second', () => {
    expect(toRates({ bytesIn: 1250, bytesOut: 2500, packetsIn: 10, packetsOut: 20 }, 10)).toEqual({ bpsIn: 1000, bpsOut: 2000, ppsIn: 1, ppsOut: 2 });
    expect(toRates({ bytesIn: 1, bytesOut: 1, packetsIn: 1, packetsOut: 1 }, 0)).toEqual({ bpsIn: 0, bpsOut: 0, ppsIn: 0, ppsOut: 0 });
  });

  it('totals only grow: a restart sequence keeps rates >= 0 and totals monotonic, and rate x time = total growth', () => {
    let baseline: Map<string, Traffic> | null = null;
    let total: Traffic = { bytesIn: 1000, bytesOut: 0, packetsIn: 0, packetsOut: 0 }; // from the last stored sample
    const seen: number[] = [];
    for (const l of [[sa('1:x', 10)], [sa('1:x', 5000, 110)], [sa('1:y', 20, 2)], [sa('1:y', 9000, 12)], [sa('1:z', 3, 2000)]]) {
      const r = tunnelTraffic(baseline, l, 10);
      baseline = r.baseline;
      const rates = toRates(r.traffic, 10);
      expect(rates.bpsIn).toBeGreaterThanOrEqual(0);
      const next = accumulate(total, r.traffic);
      expect(next.bytesIn - total.bytesIn).toBeCloseTo((rates.bpsIn * 10) / 8);
      total = next;
      seen.push(total.bytesIn);
    }
    expect(seen).toEqual([1000, 5990, 6010, 14990, 14990]);
  });

  it('utilisation of the sold bandwidth', () => {
    expect(utilization(50_000_000, 100)).toBe(0.5);
    expect(utilization(1, 0)).toBe(0);
  });
});
