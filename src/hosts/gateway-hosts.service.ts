import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { hostQueueName, queueDepth } from '../jobs/job-catalogue';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { GATEWAY_STATES } from '../common/states';
import { NotFound } from '../common/errors';
import { LEGACY_LIVENESS_SECONDS } from './host-lease';
import { HostQueries } from './hosts.queries';
import { GatewayHostDto, GatewayHostFailedJobsDto, GatewayHostGatewaysDto } from './gateway-hosts.dto';

/** Redis gets this long to report every host's queue; after that the queues are reported as unknown. */
const QUEUE_TIMEOUT_MS = 3000;
/** The drill-down lists this many of the failed jobs the queue keeps (100). */
const FAILED_JOBS_SHOWN = 50;

/** The operator's view of the gateway hosts (lease, capacity, gateways, tunnels, failovers, queue depth) and their cordon and drain. */
@Injectable()
export class GatewayHostsService {
  private readonly logger = new Logger('GatewayHosts');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
  ) {}

  async list(): Promise<GatewayHostDto[]> {
    const { hosts, counts, problems } = await new HostQueries(this.db).overview();
    let queues: Map<string, Record<string, number>> | null = null;
    try {
      queues = await this.jobs.jobCountsOf(
        hosts.map((h) => h.id),
        QUEUE_TIMEOUT_MS,
      );
    } catch (err) {
      this.logger.warn(`reading queue depths failed: ${(err as Error).message}`);
    }
    return hosts.map((h) => {
      const gateways = { total: 0, ...Object.fromEntries(GATEWAY_STATES.map((s) => [s, 0])) } as GatewayHostGatewaysDto;
      for (const c of counts) {
        if (c.host_id !== h.id) continue;
        gateways.total += Number(c.n);
        if (c.resource_state in gateways) gateways[c.resource_state] += Number(c.n);
      }
      const q = queues?.get(h.id);
      return {
        id: h.id,
        hostname: h.hostname,
        capacity: h.capacity,
        lastSeenAt: h.last_seen_at,
        live: h.live,
        livenessSeconds: h.lease_ttl_ms ? Math.ceil(h.lease_ttl_ms / 1000) : LEGACY_LIVENESS_SECONDS,
        leaseExpiresAt: h.lease_expires_at,
        cordoned: h.cordoned || h.drain_started_at !== null,
        drain: h.drain_started_at ? { startedAt: h.drain_started_at, moved: Number(h.drained), remaining: gateways.total, done: gateways.total === 0 } : null,
        tunnels: Number(h.tunnels),
        tunnelsConnected: Number(h.connected),
        failovers: { in: Number(h.f_in), out: Number(h.f_out), lastAt: h.f_last },
        gateways,
        problems: problems
          .filter((p) => p.host_id === h.id)
          .slice(0, 50)
          .map((p) => ({ kind: p.kind, id: p.id, tenantId: p.tenant_id, reason: p.reason })),
        queue: q
          ? {
              name: hostQueueName(h.id),
              depth: queueDepth(q),
              waiting: q.waiting ?? 0,
              active: q.active ?? 0,
              delayed: q.delayed ?? 0,
              prioritized: q.prioritized ?? 0,
              waitingChildren: q['waiting-children'] ?? 0,
              failed: q.failed ?? 0,
            }
          : null,
      };
    });
  }

  /** No new gateways on the host (its own keep running). Idempotent. */
  async cordon(id: string): Promise<GatewayHostDto> {
    if (!(await new HostQueries(this.db).cordon(id))) throw new NotFound('gateway host', id);
    return this.one(id);
  }

  /** Ends a cordon and a drain (gateways already moved stay where they are). Idempotent. */
  async uncordon(id: string): Promise<GatewayHostDto> {
    if (!(await new HostQueries(this.db).uncordon(id))) throw new NotFound('gateway host', id);
    return this.one(id);
  }

  /**
   * Drains the host: cordoned, and the other hosts take its gateways one at a time (each waits
   * until the previous one's tunnels reconnected). Progress is the host's `drain`. Idempotent.
   */
  async drain(id: string): Promise<GatewayHostDto> {
    if (!(await new HostQueries(this.db).drain(id))) throw new NotFound('gateway host', id);
    return this.one(id);
  }

  /** The host queue's failed jobs (the hosts page's drill-down), newest first. */
  async failedJobs(hostId: string): Promise<GatewayHostFailedJobsDto> {
    if (!(await new HostQueries(this.db).exists(hostId))) throw new NotFound('gateway host', hostId);
    const queue = hostQueueName(hostId);
    try {
      const jobs = await this.jobs.failedJobs(hostId, FAILED_JOBS_SHOWN, QUEUE_TIMEOUT_MS);
      return {
        queue,
        available: true,
        jobs: jobs
          .filter((j) => j)
          .map((j) => ({
            id: String(j.id),
            name: j.name,
            resourceId: (j.data as { gatewayId?: string; tunnelId?: string } | null)?.tunnelId ?? (j.data as { gatewayId?: string } | null)?.gatewayId ?? null,
            failedReason: j.failedReason ?? null,
            attemptsMade: j.attemptsMade,
            queuedAt: new Date(j.timestamp),
            failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
          })),
      };
    } catch (err) {
      this.logger.warn(`reading ${queue}'s failed jobs failed: ${(err as Error).message}`);
      return { queue, available: false, jobs: [] };
    }
  }

  private async one(id: string): Promise<GatewayHostDto> {
    const host = (await this.list()).find((h) => h.id === id);
    if (!host) throw new NotFound('gateway host', id);
    return host;
  }
}
