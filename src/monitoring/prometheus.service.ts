// GET /metrics: read at scrape time from PostgreSQL (each live resource's latest sample, gateway
// hosts) and Redis (queue depths). Every API replica answers the same for the VPN metrics, so a
// scrape may hit any of them; the process metrics are each replica's own.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, timingSafeEqual } from 'crypto';
import { DataSource, IsNull } from 'typeorm';
import { ApiKey } from '../auth/api-key.entity';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { Unauthorized } from '../common/errors';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { LEASE_HELD } from '../negotiation/host-lease';
import { hostQueueName } from '../jobs/job-catalogue';
import { LatestGatewaySample, LatestTunnelSample, MetricsSnapshot, VpnMetrics } from './prometheus-metrics';

/** A sample older than this is not exposed: its worker stopped reporting (the gauge disappears). */
export const STALE_AFTER_SECONDS = 300;
const SOURCE_TIMEOUT_MS = 3000;

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
const digest = (s: string) => createHash('sha256').update(s).digest();
const traffic = (r: Record<string, string>, i: string, o: string, pi: string, po: string) => ({ bytesIn: Number(r[i]), bytesOut: Number(r[o]), packetsIn: Number(r[pi]), packetsOut: Number(r[po]) });

@Injectable()
export class PrometheusService {
  private readonly metrics = new VpnMetrics();
  private readonly logger = new Logger('Metrics');
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The exposition names every tenant's resources: the scraper sends an operator API key, or
   * METRICS_TOKEN when the operator set one (a scrape-only secret), as a bearer token.
   */
  async authorize(header: string | undefined): Promise<void> {
    const given = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const token = this.config.metricsToken;
    if (given && token && timingSafeEqual(digest(given), digest(token))) return;
    if (given && (await this.db.getRepository(ApiKey).exists({ where: { keyHash: hashApiKey(given), role: 'admin', revokedAt: IsNull() } }))) return;
    throw new Unauthorized('GET /metrics needs Authorization: Bearer <operator API key or METRICS_TOKEN>');
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  /** One scrape at a time: a snapshot is applied and serialised before the next one starts. */
  scrape(): Promise<string> {
    const run = this.chain.then(async () => {
      this.metrics.apply(await this.snapshot());
      return this.metrics.text();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const snapshot: MetricsSnapshot = { tunnels: [], gateways: [], hosts: [], queues: [], sources: { database: true, redis: true } };
    try {
      [snapshot.tunnels, snapshot.gateways, snapshot.hosts] = await within(Promise.all([this.tunnels(), this.gateways(), this.hosts()]), SOURCE_TIMEOUT_MS * 3);
    } catch (err) {
      snapshot.sources.database = false;
      this.logger.warn(`reading samples failed: ${(err as Error).message}`);
    }
    try {
      const counts = await this.jobs.jobCountsOf(snapshot.hosts.map((h) => h.host), SOURCE_TIMEOUT_MS);
      snapshot.queues = snapshot.hosts.map((h) => ({ host: h.host, queue: hostQueueName(h.host), counts: counts.get(h.host) ?? {} }));
    } catch (err) {
      snapshot.sources.redis = false;
      this.logger.warn(`reading queue depths failed: ${(err as Error).message}`);
    }
    return snapshot;
  }

  private async tunnels(): Promise<LatestTunnelSample[]> {
    // One primary-key probe per live tunnel (its newest sample), not a scan of the samples.
    const rows: Record<string, string>[] = await this.db.query(
      `SELECT t.id, t.tenant_id, t.gateway_id, extract(epoch FROM s.at)::float8 AS at, s.health, s.bytes_in, s.bytes_out, s.packets_in, s.packets_out,
              s.bps_in, s.bps_out, s.pps_in, s.pps_out, s.ike_state, s.child_state
         FROM vpn_tunnels t
         CROSS JOIN LATERAL (SELECT * FROM tunnel_samples x WHERE x.tunnel_id = t.id AND x.at > now() - make_interval(secs => $1)
                              ORDER BY x.at DESC LIMIT 1) s
        ORDER BY t.id`,
      [STALE_AFTER_SECONDS],
    );
    return rows.map((r) => ({
      tunnelId: r.id, tenantId: r.tenant_id, gatewayId: r.gateway_id, at: Number(r.at), health: Number(r.health),
      totals: traffic(r, 'bytes_in', 'bytes_out', 'packets_in', 'packets_out'),
      bpsIn: Number(r.bps_in), bpsOut: Number(r.bps_out), ppsIn: Number(r.pps_in), ppsOut: Number(r.pps_out), ikeState: r.ike_state, childState: r.child_state,
    }));
  }

  private async gateways(): Promise<LatestGatewaySample[]> {
    const rows: Record<string, string>[] = await this.db.query(
      `SELECT g.id, g.tenant_id, g.bandwidth_mbps, extract(epoch FROM s.at)::float8 AS at, s.rx_bytes, s.tx_bytes, s.rx_packets, s.tx_packets,
              s.rx_bps, s.tx_bps, s.rx_pps, s.tx_pps, s.tx_utilization
         FROM vpn_gateways g
         CROSS JOIN LATERAL (SELECT * FROM gateway_samples x WHERE x.gateway_id = g.id AND x.at > now() - make_interval(secs => $1)
                              ORDER BY x.at DESC LIMIT 1) s
        ORDER BY g.id`,
      [STALE_AFTER_SECONDS],
    );
    return rows.map((r) => ({
      gatewayId: r.id, tenantId: r.tenant_id, at: Number(r.at), bandwidthMbps: Number(r.bandwidth_mbps),
      totals: traffic(r, 'rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'),
      bpsIn: Number(r.rx_bps), bpsOut: Number(r.tx_bps), ppsIn: Number(r.rx_pps), ppsOut: Number(r.tx_pps), txUtilization: Number(r.tx_utilization),
    }));
  }

  private async hosts(): Promise<MetricsSnapshot['hosts']> {
    const rows: { id: string; seen: number; held: boolean; failovers: string }[] = await this.db.query(
      `SELECT h.id, extract(epoch FROM h.last_seen_at)::float8 AS seen, coalesce(${LEASE_HELD}, false) AS held,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'lease_expired') AS failovers
         FROM gateway_hosts h ORDER BY h.id`,
    );
    return rows.map((r) => ({ host: r.id, lastSeen: Number(r.seen), leaseHeld: r.held ? 1 : 0, failovers: Number(r.failovers) }));
  }
}
