// Pure counter arithmetic of the collector: from what charon / the kernel report now, what they
// reported at the previous look and the time between, the traffic of the period. Rates are never
// negative and never spike: a counter that went backwards (rekey, charon or namespace restart) is a
// reset, and traffic from before the previous look is never attributed to this period.
//
// Tunnels are followed per SA, not per tunnel sum. Every CHILD_SA carries each packet exactly
// once, so the period's traffic is the sum over SAs of what each SA carried since the last look:
//  - an SA seen last time: current - previous (both sides of a make-before-break rekey, the old
//    one REKEYED or still INSTALLED, are counted for what each carried: no double count);
//  - an SA not seen last time (a rekey, a charon restart, a new child) whose install time is within
//    the period: all of its counter (it started from 0 during the period);
//  - an SA not seen last time that is older than the period (the first look after the worker
//    started, a missed listing): 0 — its counter holds traffic of unknown periods;
//  - an SA gone since the last look: its traffic after the last look is unknowable; it is lost.
//    Its baseline is kept for a few looks all the same: an SA a listing skipped (busy, being
//    checked out) and that shows up again is then counted exactly instead of being lost.
// The sum of a tunnel's INSTALLED counters would instead drop at every rekey and double count
// nothing only by luck; keyed SAs make the stored counters monotonic (see docs/monitoring.md).

export interface Traffic {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

export const NO_TRAFFIC: Traffic = Object.freeze({ bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 });

/** One CHILD_SA's counters as listed now. */
export interface SaCounters extends Traffic {
  /** Identity of the SA: unique id and inbound SPI (a restarted charon reuses unique ids, not SPIs). */
  key: string;
  /** Seconds since charon installed it (list-sas `install-time`), null when not reported. */
  installedSecondsAgo: number | null;
}

/** Per SA key, its counters at the last look that listed it and how many looks missed it since. */
export type SaBaseline = ReadonlyMap<string, Traffic & { missed?: number }>;

/** Looks an SA may be absent from before its baseline is dropped. */
export const KEEP_MISSING_SA_LOOKS = 3;

const FIELDS = ['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const;

function add(a: Traffic, b: Traffic): Traffic {
  return { bytesIn: a.bytesIn + b.bytesIn, bytesOut: a.bytesOut + b.bytesOut, packetsIn: a.packetsIn + b.packetsIn, packetsOut: a.packetsOut + b.packetsOut };
}

function counters(t: Traffic): Traffic {
  return { bytesIn: t.bytesIn, bytesOut: t.bytesOut, packetsIn: t.packetsIn, packetsOut: t.packetsOut };
}

/**
 * An SA installed within the period: `install-time` is whole seconds (floored), so the SA is
 * certainly younger than the period only when installedSecondsAgo + 1 <= elapsed.
 */
export function installedWithin(installedSecondsAgo: number | null, elapsedSeconds: number): boolean {
  return installedSecondsAgo !== null && installedSecondsAgo >= 0 && installedSecondsAgo + 1 <= elapsedSeconds;
}

/**
 * The traffic a tunnel carried since the previous look, and the baseline for the next one.
 * `previous` null: the first look at this tunnel (nothing to compare with): no traffic.
 */
export function tunnelTraffic(
  previous: SaBaseline | null,
  current: readonly SaCounters[],
  elapsedSeconds: number,
): { traffic: Traffic; baseline: Map<string, Traffic & { missed?: number }> } {
  const baseline = new Map<string, Traffic & { missed?: number }>();
  let traffic: Traffic = { ...NO_TRAFFIC };
  for (const sa of current) {
    if (baseline.has(sa.key)) continue; // listed twice (e.g. moving between IKE_SAs): once
    baseline.set(sa.key, counters(sa));
    if (!previous || !(elapsedSeconds > 0)) continue;
    const before = previous.get(sa.key);
    const grew = before && FIELDS.every((f) => sa[f] >= before[f]);
    if (before && grew)
      traffic = add(traffic, {
        bytesIn: sa.bytesIn - before.bytesIn,
        bytesOut: sa.bytesOut - before.bytesOut,
        packetsIn: sa.packetsIn - before.packetsIn,
        packetsOut: sa.packetsOut - before.packetsOut,
      });
    else if (installedWithin(sa.installedSecondsAgo, elapsedSeconds)) traffic = add(traffic, counters(sa));
    // else: an SA older than the period that we did not see (or whose counter went backwards): 0
  }
  for (const [key, before] of previous ?? []) {
    const missed = (before.missed ?? 0) + 1;
    if (!baseline.has(key) && missed <= KEEP_MISSING_SA_LOOKS) baseline.set(key, { ...counters(before), missed });
  }
  return { traffic, baseline };
}

/**
 * A plain counter (a NIC's): the increase since the previous value, 0 on the first look and when
 * the counter went backwards (the interface was recreated: when is unknowable).
 */
export function counterIncrease(previous: number | null, current: number): number {
  if (previous === null || !(current >= previous)) return 0;
  return current - previous;
}

export function nicTraffic(previous: Traffic | null, current: Traffic): Traffic {
  return {
    bytesIn: counterIncrease(previous?.bytesIn ?? null, current.bytesIn),
    bytesOut: counterIncrease(previous?.bytesOut ?? null, current.bytesOut),
    packetsIn: counterIncrease(previous?.packetsIn ?? null, current.packetsIn),
    packetsOut: counterIncrease(previous?.packetsOut ?? null, current.packetsOut),
  };
}

export interface Rates {
  bpsIn: number;
  bpsOut: number;
  ppsIn: number;
  ppsOut: number;
}

/** Bits and packets per second of a period's traffic; 0 for an empty or invalid period. */
export function toRates(t: Traffic, elapsedSeconds: number): Rates {
  if (!(elapsedSeconds > 0)) return { bpsIn: 0, bpsOut: 0, ppsIn: 0, ppsOut: 0 };
  return {
    bpsIn: (t.bytesIn * 8) / elapsedSeconds,
    bpsOut: (t.bytesOut * 8) / elapsedSeconds,
    ppsIn: t.packetsIn / elapsedSeconds,
    ppsOut: t.packetsOut / elapsedSeconds,
  };
}

/** Monotonic totals: what was stored last plus the period's traffic. */
export function accumulate(total: Traffic, t: Traffic): Traffic {
  return add(total, t);
}

/** Outbound utilisation of a gateway's sold bandwidth (may exceed 1 where nothing shapes it). */
export function utilization(bpsOut: number, bandwidthMbps: number): number {
  return bandwidthMbps > 0 ? bpsOut / (bandwidthMbps * 1_000_000) : 0;
}
