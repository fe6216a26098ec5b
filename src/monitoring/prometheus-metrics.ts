// The Prometheus exposition: prom-client metrics in a registry of their own (one per API process),
// set at each scrape from a snapshot read from PostgreSQL and Redis. Every name is listed in
// docs/monitoring.md.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { Rates, Traffic } from './rates';

export interface LatestTunnelSample extends Rates {
  tunnelId: string;
  tenantId: string;
  gatewayId: string;
  /** Unix seconds. */
  at: number;
  health: number;
  totals: Traffic;
  ikeState: string | null;
  childState: string | null;
}

export interface LatestGatewaySample extends Rates {
  gatewayId: string;
  tenantId: string;
  at: number;
  bandwidthMbps: number;
  totals: Traffic;
  txUtilization: number;
}

export interface MetricsSnapshot {
  tunnels: LatestTunnelSample[];
  gateways: LatestGatewaySample[];
  /** `leaseHeld` 1/0; `failovers`: gateways taken over from the host after its lease expired, ever. */
  hosts: { host: string; lastSeen: number; leaseHeld?: number; failovers?: number }[];
  queues: { host: string; queue: string; counts: Record<string, number> }[];
  sources: { database: boolean; redis: boolean };
}

const TUNNEL = ['tenant', 'gateway', 'tunnel'] as const;
const GATEWAY = ['tenant', 'gateway'] as const;

export class VpnMetrics {
  readonly registry = new Registry();
  private readonly mine: (Gauge | Counter)[] = [];

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    const g = new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
    this.mine.push(g as Gauge);
    return g;
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const c = new Counter<L>({ name, help, labelNames, registers: [this.registry] });
    this.mine.push(c as Counter);
    return c;
  }

  private readonly t = {
    up: this.gauge('vpn_tunnel_up', '1 when every CHILD_SA of the tunnel is installed (latest sample), else 0', TUNNEL),
    rxBytes: this.counter('vpn_tunnel_receive_bytes_total', 'Bytes received from the remote through the tunnel (decrypted), since monitoring began', TUNNEL),
    txBytes: this.counter('vpn_tunnel_transmit_bytes_total', 'Bytes sent to the remote through the tunnel (before encryption), since monitoring began', TUNNEL),
    rxPackets: this.counter('vpn_tunnel_receive_packets_total', 'Packets received through the tunnel', TUNNEL),
    txPackets: this.counter('vpn_tunnel_transmit_packets_total', 'Packets sent through the tunnel', TUNNEL),
    rxBps: this.gauge('vpn_tunnel_receive_bits_per_second', 'Inbound rate over the latest collection period', TUNNEL),
    txBps: this.gauge('vpn_tunnel_transmit_bits_per_second', 'Outbound rate over the latest collection period', TUNNEL),
    rxPps: this.gauge('vpn_tunnel_receive_packets_per_second', 'Inbound packet rate over the latest collection period', TUNNEL),
    txPps: this.gauge('vpn_tunnel_transmit_packets_per_second', 'Outbound packet rate over the latest collection period', TUNNEL),
    sa: this.gauge('vpn_tunnel_sa_state_info', 'Always 1; the labels carry the IKE_SA and CHILD_SA states of the latest sample ("none": no SA)', [
      ...TUNNEL,
      'ike_state',
      'child_state',
    ]),
    at: this.gauge('vpn_tunnel_sample_timestamp_seconds', 'When the latest sample was taken (Unix time)', TUNNEL),
  };

  private readonly g = {
    rxBytes: this.counter('vpn_gateway_receive_bytes_total', "Bytes received on the gateway's external NIC, since monitoring began", GATEWAY),
    txBytes: this.counter('vpn_gateway_transmit_bytes_total', "Bytes sent on the gateway's external NIC, since monitoring began", GATEWAY),
    rxPackets: this.counter('vpn_gateway_receive_packets_total', 'Packets received on the external NIC', GATEWAY),
    txPackets: this.counter('vpn_gateway_transmit_packets_total', 'Packets sent on the external NIC', GATEWAY),
    rxBps: this.gauge('vpn_gateway_receive_bits_per_second', 'External NIC inbound rate over the latest collection period', GATEWAY),
    txBps: this.gauge('vpn_gateway_transmit_bits_per_second', 'External NIC outbound rate over the latest collection period', GATEWAY),
    rxPps: this.gauge('vpn_gateway_receive_packets_per_second', 'External NIC inbound packet rate', GATEWAY),
    txPps: this.gauge('vpn_gateway_transmit_packets_per_second', 'External NIC outbound packet rate', GATEWAY),
    util: this.gauge(
      'vpn_gateway_transmit_utilization_ratio',
      "Outbound rate / the gateway's bandwidth (may exceed 1 where nothing shapes the traffic)",
      GATEWAY,
    ),
    bandwidth: this.gauge('vpn_gateway_bandwidth_bits_per_second', "The gateway's bandwidth (bandwidthMbps x 10^6)", GATEWAY),
    at: this.gauge('vpn_gateway_sample_timestamp_seconds', 'When the latest sample was taken (Unix time)', GATEWAY),
  };

  private readonly queueJobs = this.gauge('vpn_job_queue_jobs', "Jobs in a gateway host's BullMQ queue by state", ['host', 'queue', 'state']);
  private readonly hostSeen = this.gauge('vpn_gateway_host_last_seen_timestamp_seconds', 'Last heartbeat of a gateway host (Unix time)', ['host']);
  private readonly hostLease = this.gauge('vpn_gateway_host_lease_held', '1 while a gateway host holds its lease (it serves its gateways), 0 once it expired', [
    'host',
  ]);
  private readonly failovers = this.counter('vpn_gateway_failovers_total', "Gateways other hosts took over after this host's lease expired", ['host']);
  private readonly sourceUp = this.gauge(
    'vpn_metrics_source_up',
    '1 when this scrape could read the source (database: samples and hosts; redis: queue depths)',
    ['source'],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Replaces every VPN value with the snapshot's (resources gone since the last scrape disappear). */
  apply(s: MetricsSnapshot): void {
    for (const m of this.mine) m.reset();
    for (const x of s.tunnels) {
      const l = { tenant: x.tenantId, gateway: x.gatewayId, tunnel: x.tunnelId };
      this.t.up.set(l, x.health);
      this.t.rxBytes.inc(l, x.totals.bytesIn);
      this.t.txBytes.inc(l, x.totals.bytesOut);
      this.t.rxPackets.inc(l, x.totals.packetsIn);
      this.t.txPackets.inc(l, x.totals.packetsOut);
      this.t.rxBps.set(l, x.bpsIn);
      this.t.txBps.set(l, x.bpsOut);
      this.t.rxPps.set(l, x.ppsIn);
      this.t.txPps.set(l, x.ppsOut);
      this.t.sa.set({ ...l, ike_state: x.ikeState ?? 'none', child_state: x.childState ?? 'none' }, 1);
      this.t.at.set(l, x.at);
    }
    for (const x of s.gateways) {
      const l = { tenant: x.tenantId, gateway: x.gatewayId };
      this.g.rxBytes.inc(l, x.totals.bytesIn);
      this.g.txBytes.inc(l, x.totals.bytesOut);
      this.g.rxPackets.inc(l, x.totals.packetsIn);
      this.g.txPackets.inc(l, x.totals.packetsOut);
      this.g.rxBps.set(l, x.bpsIn);
      this.g.txBps.set(l, x.bpsOut);
      this.g.rxPps.set(l, x.ppsIn);
      this.g.txPps.set(l, x.ppsOut);
      this.g.util.set(l, x.txUtilization);
      this.g.bandwidth.set(l, x.bandwidthMbps * 1_000_000);
      this.g.at.set(l, x.at);
    }
    for (const h of s.hosts) {
      this.hostSeen.set({ host: h.host }, h.lastSeen);
      if (h.leaseHeld !== undefined) this.hostLease.set({ host: h.host }, h.leaseHeld);
      if (h.failovers !== undefined) this.failovers.inc({ host: h.host }, h.failovers);
    }
    for (const q of s.queues) for (const [state, n] of Object.entries(q.counts)) this.queueJobs.set({ host: q.host, queue: q.queue, state }, n);
    this.sourceUp.set({ source: 'database' }, s.sources.database ? 1 : 0);
    this.sourceUp.set({ source: 'redis' }, s.sources.redis ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
