import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { hostQueueName, queueDepth } from '../jobs/job-catalogue';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { GATEWAY_STATES, GatewayState } from '../vpn/states';
import { NotFound } from '../common/errors';
import { LEASE_HELD, LEGACY_LIVENESS_SECONDS } from './host-lease';
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
    // `live` is the lease, judged by the database's clock (as placement and claims judge it).
    const hosts: {
      id: string; hostname: string; capacity: number; last_seen_at: Date; live: boolean; lease_expires_at: Date | null; lease_ttl_ms: number | null;
      cordoned: boolean; drain_started_at: Date | null; tunnels: string; connected: string; f_in: string; f_out: string; f_last: Date | null; drained: string;
    }[] = await this.db.query(
      `SELECT h.id, h.hostname, h.capacity, h.last_seen_at, coalesce(${LEASE_HELD}, false) AS live, h.lease_expires_at, h.lease_ttl_ms, h.cordoned, h.drain_started_at,
              (SELECT count(*) FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE g.host_id = h.id) AS tunnels,
              (SELECT count(*) FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE g.host_id = h.id AND t.connection_state = 'connected') AS connected,
              (SELECT count(*) FROM gateway_moves m WHERE m.to_host_id = h.id AND m.reason = 'lease_expired') AS f_in,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'lease_expired') AS f_out,
              (SELECT max(moved_at) FROM gateway_moves m WHERE m.reason = 'lease_expired' AND (m.from_host_id = h.id OR m.to_host_id = h.id)) AS f_last,
              (SELECT count(*) FROM gateway_moves m WHERE m.from_host_id = h.id AND m.reason = 'drain' AND m.moved_at >= h.drain_started_at) AS drained
         FROM gateway_hosts h ORDER BY h.id`,
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
        livenessSeconds: h.lease_ttl_ms ? Math.ceil(h.lease_ttl_ms / 1000) : LEGACY_LIVENESS_SECONDS,
        leaseExpiresAt: h.lease_expires_at,
        cordoned: h.cordoned || h.drain_started_at !== null,
        drain: h.drain_started_at
          ? { startedAt: h.drain_started_at, moved: Number(h.drained), remaining: gateways.total, done: gateways.total === 0 }
          : null,
        tunnels: Number(h.tunnels),
        tunnelsConnected: Number(h.connected),
        failovers: { in: Number(h.f_in), out: Number(h.f_out), lastAt: h.f_last },
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

  /** No new gateways on the host (its own keep running). Idempotent. */
  async cordon(id: string): Promise<GatewayHostDto> {
    await this.setFlags(id, 'cordoned = true');
    return this.one(id);
  }

  /** Ends a cordon and a drain (gateways already moved stay where they are). Idempotent. */
  async uncordon(id: string): Promise<GatewayHostDto> {
    await this.setFlags(id, 'cordoned = false, drain_started_at = NULL');
    return this.one(id);
  }

  /**
   * Drains the host: cordoned, and the other hosts take its gateways one at a time (each waits
   * until the previous one's tunnels reconnected). Progress is the host's `drain`. Idempotent.
   */
  async drain(id: string): Promise<GatewayHostDto> {
    await this.setFlags(id, 'cordoned = true, drain_started_at = coalesce(drain_started_at, now())');
    return this.one(id);
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

  private async setFlags(id: string, assignments: string): Promise<void> {
    const rows: unknown[] = await this.db.query(`UPDATE gateway_hosts SET ${assignments} WHERE id = $1 RETURNING id`, [id]);
    if (!returned(rows).length) throw new NotFound('gateway host', id);
  }

  private async one(id: string): Promise<GatewayHostDto> {
    const host = (await this.list()).find((h) => h.id === id);
    if (!host) throw new NotFound('gateway host', id);
    return host;
  }
}

/** TypeORM returns [rows, count] for UPDATE ... RETURNING on postgres. */
function returned<T>(rows: T[]): T[] {
  return Array.isArray(rows[0]) ? (rows[0] as unknown as T[]) : rows;
}
