import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { hostQueueName, queueDepth } from '../jobs/job-catalogue';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { GATEWAY_STATES, GatewayState } from '../vpn/states';
import { HOST_LIVENESS_SECONDS } from './gateway-placement.service';
import { NotFound } from '../common/errors';
import { GatewayHostDto, GatewayHostFailedJobsDto, GatewayHostGatewaysDto } from './gateway-hosts.dto';

/** Redis gets this long to report every host's queue; after that the queues are reported as unknown. */
const QUEUE_TIMEOUT_MS = 3000;
/** The drill-down lists this many of the failed jobs the queue keeps (100). */
const FAILED_JOBS_SHOWN = 50;

/** The operator's view of the gateway hosts: heartbeat, capacity, placed gateways, queue depth. */
@Injectable()
export class GatewayHostsService {
  private readonly logger = new Logger('GatewayHosts');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobDispatcher,
  ) {}

  async list(): Promise<GatewayHostDto[]> {
    // `live` is the placement rule's (GatewayPlacementService.pickHost), judged by the database's clock.
    const hosts: { id: string; hostname: string; capacity: number; last_seen_at: Date; live: boolean }[] = await this.db.query(
      `SELECT id, hostname, capacity, last_seen_at, last_seen_at > now() - make_interval(secs => $1) AS live
         FROM gateway_hosts ORDER BY id`,
      [HOST_LIVENESS_SECONDS],
    );
    const counts: { host_id: string; resource_state: GatewayState; n: string }[] = await this.db.query(
      `SELECT host_id, resource_state, count(*) AS n FROM vpn_gateways WHERE host_id IS NOT NULL GROUP BY host_id, resource_state`,
    );
    const problems: { host_id: string; kind: 'gateway' | 'tunnel'; id: string; tenant_id: string; reason: string }[] = await this.db.query(
      `SELECT * FROM (
         SELECT host_id, 'gateway' AS kind, id, tenant_id, coalesce(state_reason, '') AS reason, created_at FROM vpn_gateways WHERE resource_state = 'error' AND host_id IS NOT NULL
         UNION ALL
         SELECT g.host_id, 'tunnel', t.id, t.tenant_id, coalesce(t.failure_message, ''), t.created_at FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id
          WHERE t.resource_state = 'error' AND g.host_id IS NOT NULL) p ORDER BY created_at DESC LIMIT 500`,
    );
    let queues: Map<string, Record<string, number>> | null = null;
    try {
      queues = await this.jobs.jobCountsOf(hosts.map((h) => h.id), QUEUE_TIMEOUT_MS);
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
        livenessSeconds: HOST_LIVENESS_SECONDS,
        gateways,
        problems: problems.filter((p) => p.host_id === h.id).slice(0, 50).map((p) => ({ kind: p.kind, id: p.id, tenantId: p.tenant_id, reason: p.reason })),
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

  /** The host queue's failed jobs (the hosts page's drill-down), newest first. */
  async failedJobs(hostId: string): Promise<GatewayHostFailedJobsDto> {
    const [host] = await this.db.query('SELECT id FROM gateway_hosts WHERE id = $1', [hostId]);
    if (!host) throw new NotFound('gateway host', hostId);
    const queue = hostQueueName(hostId);
    try {
      const jobs = await this.jobs.failedJobs(hostId, FAILED_JOBS_SHOWN, QUEUE_TIMEOUT_MS);
      return {
        queue,
        available: true,
        jobs: jobs.filter((j) => j).map((j) => ({
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
}
