import type { ChildSaInfo, IkeSaEntry } from '../../vici';
import { MetricsCollector, MonitoredGateway } from './collector';
import { Traffic } from '../../monitoring/rates';
import { GatewaySampleRow, SampleStore, TunnelSampleRow } from '../../monitoring/sample-store.queries';

const P = 'ipsvpn_';

function listing(tunnel: string, children: { id: string; spi: string; bytes: number; age: number }[]): IkeSaEntry[] {
  const kids = children.map((c) => ({
    name: `${P}${tunnel}`,
    uniqueid: c.id,
    state: 'INSTALLED',
    'spi-in': c.spi,
    'spi-out': `${c.spi}o`,
    'install-time': String(c.age),
    'bytes-in': String(c.bytes),
    'bytes-out': String(c.bytes),
    'packets-in': String(c.bytes / 1000),
    'packets-out': String(c.bytes / 1000),
  })) as unknown as ChildSaInfo[];
  return [{ name: `${P}${tunnel}`, sa: { state: 'ESTABLISHED' } as IkeSaEntry['sa'], children: kids }];
}

class FakeStore {
  rounds: { gateways: GatewaySampleRow[]; tunnels: TunnelSampleRow[] }[] = [];
  stored = new Map<string, Traffic>([['t1', { bytesIn: 1_000_000, bytesOut: 1_000_000, packetsIn: 1000, packetsOut: 1000 }]]);
  async gatewaysOfHost() {
    return [{ id: 'vpngw-1', tenantId: 'tenant-1', bandwidthMbps: 100, tunnelIds: ['t1'] }];
  }
  async lastTotals(_table: string, ids: string[]) {
    return new Map(ids.filter((id) => this.stored.has(id)).map((id) => [id, this.stored.get(id)!]));
  }
  async insertRound(_at: Date, gateways: GatewaySampleRow[], tunnels: TunnelSampleRow[]) {
    this.rounds.push({ gateways: structuredClone(gateways), tunnels: structuredClone(tunnels) });
  }
  async prune() {
    return 0;
  }
}

describe('MetricsCollector', () => {
  it('rates from consecutive looks, totals continuing from the stored sample, a charon restart without a negative rate or a spike', async () => {
    const store = new FakeStore();
    let clock = 0;
    let sas: IkeSaEntry[] | Error = [];
    let nic: Traffic = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
    const gw: MonitoredGateway = {
      gatewayId: 'vpngw-1',
      listSas: async () => {
        if (sas instanceof Error) throw sas;
        return sas;
      },
      expectedChildren: () => new Map([['t1', [`${P}t1`]]]),
    };
    const c = new MetricsCollector({
      hostId: 'h',
      store: store as unknown as SampleStore,
      gateways: () => [gw],
      connPrefix: P,
      intervalMs: 10_000,
      retentionDays: 30,
      pruneIntervalMs: 3_600_000,
      readNic: async () => nic,
      now: () => clock,
      log: () => undefined,
    });
    const step = async (s: IkeSaEntry[] | Error, n: Traffic) => {
      clock += 10_000;
      sas = s;
      nic = n;
      await c.collectOnce();
      return store.rounds[store.rounds.length - 1];
    };
    const nicAt = (b: number): Traffic => ({ bytesIn: b, bytesOut: b, packetsIn: b / 1000, packetsOut: b / 1000 });

    const r1 = await step(listing('t1', [{ id: '1', spi: 'a', bytes: 500_000, age: 300 }]), nicAt(10_000_000));
    expect(r1.tunnels[0]).toMatchObject({ health: 1, bpsIn: 0, ikeState: 'ESTABLISHED', childState: 'INSTALLED', totals: store.stored.get('t1') });
    expect(r1.gateways[0]).toMatchObject({ bpsIn: 0, bpsOut: 0, totals: { bytesIn: 0 } });

    const r2 = await step(listing('t1', [{ id: '1', spi: 'a', bytes: 625_000, age: 310 }]), nicAt(10_250_000));
    expect(r2.tunnels[0]).toMatchObject({ bpsIn: 100_000, ppsIn: 12.5, totals: { bytesIn: 1_125_000 } });
    expect(r2.gateways[0]).toMatchObject({ bpsOut: 200_000, txUtilization: 0.002, totals: { bytesOut: 250_000 } });

    // charon killed: the listing fails; the tunnel is down, its totals stay.
    const r3 = await step(new Error('connection refused'), nicAt(10_260_000));
    expect(r3.tunnels[0]).toMatchObject({ health: 0, bpsIn: 0, ikeState: null, totals: { bytesIn: 1_125_000 } });

    // restarted: unique id 1 again, a new SPI, small counters, installed 4 s ago (within the 20 s since the last good look)
    const r4 = await step(listing('t1', [{ id: '1', spi: 'b', bytes: 20_000, age: 4 }]), nicAt(10_300_000));
    expect(r4.tunnels[0]).toMatchObject({ health: 1, bpsIn: (20_000 * 8) / 20, totals: { bytesIn: 1_145_000 } });

    // the namespace was recreated: NIC counters went back: 0, not negative
    const r5 = await step(listing('t1', [{ id: '1', spi: 'b', bytes: 30_000, age: 14 }]), nicAt(5_000));
    expect(r5.gateways[0]).toMatchObject({ bpsIn: 0, bpsOut: 0, totals: { bytesIn: 300_000 } });
    for (const r of store.rounds)
      for (const t of [...r.tunnels, ...r.gateways]) expect(Math.min(t.bpsIn, t.bpsOut, t.ppsIn, t.ppsOut)).toBeGreaterThanOrEqual(0);
  });

  it('skips a tick while a round is still running', async () => {
    const store = new FakeStore();
    let release!: () => void;
    const gw: MonitoredGateway = { gatewayId: 'vpngw-1', listSas: () => new Promise((r) => (release = () => r([]))), expectedChildren: () => new Map() };
    const c = new MetricsCollector({
      hostId: 'h',
      store: store as unknown as SampleStore,
      gateways: () => [gw],
      connPrefix: P,
      intervalMs: 10_000,
      retentionDays: 30,
      pruneIntervalMs: 3_600_000,
      readNic: async () => ({ bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 }),
      log: () => undefined,
    });
    const first = c.tick();
    const second = c.tick();
    expect(second).toBe(first);
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(await first).toEqual({ tunnels: 1, gateways: 1 });
  });
});
