// GET /metrics: read at scrape time from PostgreSQL (each live resource's latest sample, gateway
// hosts) and Redis (queue depths). Every API replica answers the same for the VPN metrics, so a
// scrape may hit any of them; the process metrics are each replica's own.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, timingSafeEqual } from 'crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { Unauthorized } from '../common/errors';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { hostQueueName } from '../jobs/job-catalogue';
import { MonitoringQueries } from './monitoring.queries';
import { LatestGatewaySample, LatestTunnelSample, MetricsSnapshot, VpnMetrics } from './prometheus-metrics';

/** A sample older than this is not exposed: its worker stopped reporting (the gauge disappears). */
export const STALE_AFTER_SECONDS = 300;
const SOURCE_TIMEOUT_MS = 3000;

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
const digest = (s: string) => createHash('sha256').update(s).digest();

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
    if (given && (await new MonitoringQueries(this.db).liveOperatorKey(hashApiKey(given)))) return;
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
      const counts = await this.jobs.jobCountsOf(
        snapshot.hosts.map((h) => h.host),
        SOURCE_TIMEOUT_MS,
      );
      snapshot.queues = snapshot.hosts.map((h) => ({ host: h.host, queue: hostQueueName(h.host), counts: counts.get(h.host) ?? {} }));
    } catch (err) {
      snapshot.sources.redis = false;
      this.logger.warn(`reading queue depths failed: ${(err as Error).message}`);
    }
    return snapshot;
  }

  private tunnels(): Promise<LatestTunnelSample[]> {
    return new MonitoringQueries(this.db).latestTunnelSamples(STALE_AFTER_SECONDS);
  }

  private gateways(): Promise<LatestGatewaySample[]> {
    return new MonitoringQueries(this.db).latestGatewaySamples(STALE_AFTER_SECONDS);
  }

  private hosts(): Promise<MetricsSnapshot['hosts']> {
    return new MonitoringQueries(this.db).hostLeases();
  }
}
