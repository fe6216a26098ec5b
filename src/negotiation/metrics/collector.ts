// The worker's metrics collector: every METRICS_INTERVAL_MS, for each gateway this host serves,
// one `list-sas` on its charon and one read of its external NIC's counters; per tunnel and per
// gateway the period's traffic (rates.ts), health and SA states; ONE insert for the round.
// Stored counters are monotonic totals (continued from the latest stored sample after a worker
// restart); rates are the period's traffic over the time between two looks at that gateway.
import { performance } from 'perf_hooks';
import { describeError } from '../../common/dependency-errors';
import type { IkeSaEntry } from '../../vici';
import { NicReader, readExternalNic } from './nic';
import { accumulate, NO_TRAFFIC, nicTraffic, SaBaseline, toRates, Traffic, tunnelTraffic, utilization } from '../../monitoring/rates';
import { tunnelSaViews } from '../../monitoring/sa-view';
import { GatewaySampleRow, MonitoredGatewayRow, SampleStore, TunnelSampleRow } from '../../monitoring/sample-store.queries';

/** What the collector needs from a gateway's negotiator (GatewayNegotiator implements it). */
export interface MonitoredGateway {
  readonly gatewayId: string;
  /** The gateway's namespace on this host (default: its id). */
  readonly namespace?: string;
  listSas(timeoutMs: number): Promise<IkeSaEntry[]>;
  /** Per tunnel loaded on this gateway, the names of the CHILD_SAs it should have. */
  expectedChildren(): Map<string, string[]>;
  /** Connected tunnels whose last rekey failed: reported unhealthy (health 0) so alerts fire. */
  degradedTunnels?(): Set<string>;
}

export interface CollectorOptions {
  hostId: string;
  store: SampleStore;
  gateways(): MonitoredGateway[];
  connPrefix: string;
  intervalMs: number;
  retentionDays: number;
  pruneIntervalMs: number;
  readNic?: NicReader;
  /** Monotonic clock in ms (tests drive it). */
  now?: () => number;
  log(message: string): void;
}

interface TunnelState {
  baseline: SaBaseline | null;
  lastAt: number | null;
  total: Traffic;
}

interface GatewayState {
  last: Traffic | null;
  lastAt: number | null;
  total: Traffic;
}

export interface RoundResult {
  tunnels: number;
  gateways: number;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

export class MetricsCollector {
  private readonly tunnels = new Map<string, TunnelState>();
  private readonly gatewayStates = new Map<string, GatewayState>();
  private readonly timers: NodeJS.Timeout[] = [];
  private running: Promise<RoundResult | null> | null = null;
  private readonly now: () => number;
  private readonly readNic: NicReader;

  constructor(private readonly o: CollectorOptions) {
    this.now = o.now ?? (() => performance.now());
    this.readNic = o.readNic ?? readExternalNic;
  }

  start(): void {
    this.timers.push(setInterval(() => void this.tick(), this.o.intervalMs));
    const prune = () =>
      void this.o.store
        .prune(this.o.retentionDays)
        .then((n) => n && this.o.log(`metrics retention: deleted ${n} samples older than ${this.o.retentionDays} days`))
        .catch((err) => this.o.log(`metrics retention failed: ${(err as Error).message}`));
    this.timers.push(setTimeout(prune, Math.min(60_000, this.o.pruneIntervalMs)));
    this.timers.push(setInterval(prune, this.o.pruneIntervalMs));
  }

  stop(): Promise<unknown> {
    for (const t of this.timers) clearInterval(t);
    return this.running ?? Promise.resolve();
  }

  /** One round unless one is still running (a slow round skips ticks rather than piling up). */
  tick(): Promise<RoundResult | null> {
    if (!this.running) {
      this.running = this.collectOnce()
        .catch((err) => {
          this.o.log(`metrics round failed: ${describeError(err)}`);
          return null;
        })
        .finally(() => (this.running = null));
    }
    return this.running;
  }

  async collectOnce(): Promise<RoundResult> {
    const at = new Date();
    const negotiators = new Map(this.o.gateways().map((a) => [a.gatewayId, a]));
    const rows = (await this.o.store.gatewaysOfHost(this.o.hostId)).filter((g) => negotiators.has(g.id));
    await this.loadTotals(rows);
    const listTimeoutMs = Math.min(5000, Math.max(1000, this.o.intervalMs));
    const observed = await mapLimit(rows, 8, async (g) => {
      const negotiator = negotiators.get(g.id)!;
      const [sas, nic] = await Promise.allSettled([
        negotiator.listSas(listTimeoutMs).then((list) => ({ list, at: this.now() })),
        this.readNic(negotiator.namespace ?? g.id).then((counters) => ({ counters, at: this.now() })),
      ]);
      return { g, expected: negotiator.expectedChildren(), degraded: negotiator.degradedTunnels?.() ?? new Set<string>(), sas, nic };
    });
    const gatewayRows: GatewaySampleRow[] = [];
    const tunnelRows: TunnelSampleRow[] = [];
    for (const { g, expected, degraded, sas, nic } of observed) {
      if (nic.status === 'fulfilled') gatewayRows.push(this.gatewaySample(g, nic.value.counters, nic.value.at));
      else this.o.log(`metrics: ${g.id} NIC counters: ${(nic.reason as Error).message}`);
      tunnelRows.push(...this.tunnelSamples(g, expected, degraded, sas.status === 'fulfilled' ? sas.value : null));
    }
    await this.o.store.insertRound(at, gatewayRows, tunnelRows);
    this.forgetGone(rows);
    return { tunnels: tunnelRows.length, gateways: gatewayRows.length };
  }

  private gatewaySample(g: MonitoredGatewayRow, counters: Traffic, at: number): GatewaySampleRow {
    const s = this.gatewayStates.get(g.id)!;
    const traffic = nicTraffic(s.last, counters);
    const rates = toRates(traffic, s.lastAt === null ? 0 : (at - s.lastAt) / 1000);
    s.total = accumulate(s.total, traffic);
    s.last = counters;
    s.lastAt = at;
    return { gatewayId: g.id, tenantId: g.tenantId, totals: s.total, ...rates, txUtilization: utilization(rates.bpsOut, g.bandwidthMbps) };
  }

  /** A failed listing (charon restarting): the tunnels are reported down, their baselines kept. */
  private tunnelSamples(
    g: MonitoredGatewayRow,
    expected: Map<string, string[]>,
    degraded: Set<string>,
    sas: { list: IkeSaEntry[]; at: number } | null,
  ): TunnelSampleRow[] {
    const views = sas ? tunnelSaViews(sas.list, this.o.connPrefix, expected) : null;
    return g.tunnelIds.map((tunnelId) => {
      const s = this.tunnels.get(tunnelId)!;
      const view = views?.get(tunnelId) ?? null;
      let rates = toRates(NO_TRAFFIC, 0);
      if (sas) {
        const { traffic, baseline } = tunnelTraffic(s.baseline, view?.sas ?? [], s.lastAt === null ? 0 : (sas.at - s.lastAt) / 1000);
        rates = toRates(traffic, s.lastAt === null ? 0 : (sas.at - s.lastAt) / 1000);
        s.total = accumulate(s.total, traffic);
        s.baseline = baseline;
        s.lastAt = sas.at;
      }
      return {
        tunnelId,
        tenantId: g.tenantId,
        gatewayId: g.id,
        health: degraded.has(tunnelId) ? 0 : (view?.health ?? 0),
        totals: s.total,
        ...rates,
        ikeState: view?.ikeState ?? null,
        childState: view?.childState ?? null,
      };
    });
  }

  /** Totals of resources seen for the first time continue from their latest stored sample. */
  private async loadTotals(rows: MonitoredGatewayRow[]): Promise<void> {
    const newGateways = rows.map((g) => g.id).filter((id) => !this.gatewayStates.has(id));
    const newTunnels = rows.flatMap((g) => g.tunnelIds).filter((id) => !this.tunnels.has(id));
    if (!newGateways.length && !newTunnels.length) return;
    const [gw, tu] = await Promise.all([this.o.store.lastTotals('gateway_samples', newGateways), this.o.store.lastTotals('tunnel_samples', newTunnels)]);
    for (const id of newGateways) this.gatewayStates.set(id, { last: null, lastAt: null, total: gw.get(id) ?? { ...NO_TRAFFIC } });
    for (const id of newTunnels) this.tunnels.set(id, { baseline: null, lastAt: null, total: tu.get(id) ?? { ...NO_TRAFFIC } });
  }

  private forgetGone(rows: MonitoredGatewayRow[]): void {
    const gateways = new Set(rows.map((g) => g.id));
    const tunnels = new Set(rows.flatMap((g) => g.tunnelIds));
    for (const id of this.gatewayStates.keys()) if (!gateways.has(id)) this.gatewayStates.delete(id);
    for (const id of this.tunnels.keys()) if (!tunnels.has(id)) this.tunnels.delete(id);
  }
}
