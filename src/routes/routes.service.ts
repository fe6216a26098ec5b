import { pushErrorCode, PushErrorCode } from './push-errors';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { NotFound } from '../common/errors';
import { newSecretToken } from '../common/ids';
import { AgentTarget } from './agent-target.entity';
import { desiredRoutes, RoutingSubnet, RoutingTunnel, TargetRoutes } from './desired-routes';
import { publishRoutesChanged, RouteChangeListener } from './route-notifier';
import { RouteQueries } from './routes.queries';
import { AgentRoutesDto, AgentRoutesQueryDto } from './routes.dto';
import { AgentReport, ReportBatch } from './report-batch';

/** How long a tunnel's routes outlive its leaving `connected` (see desired-routes.ts). */
export const ROUTE_HOLD_DOWN_MS = 60_000;
export const MAX_WAIT_SECONDS = 30;
export const RECENT_ROUTING_MAX_AGE_MS = 2_000;
/**
 * A VPC's routing is read at most once per this while its routes keep changing (a host's tunnels
 * connecting, one state write after another): the first change after a quiet spell is read at
 * once, the changes of a burst wait for one read together.
 */
export const BURST_READ_INTERVAL_MS = 50;
/**
 * A long poll records the agent's check-in unless its report or a poll did within this time: after
 * a change every agent reports and polls again at once, and the second write said nothing new.
 */
export const CHECK_IN_RESOLUTION_MS = 10_000;

export interface VpcRouting {
  tunnels: RoutingTunnel[];
  subnets: RoutingSubnet[];
}

/** What a tunnel's route push status needs of the tunnel. */
export type PushedTunnel = { gatewayId: string; localSubnetIds: string[]; connectionState: string; resourceState: string; disconnectedAt: Date | null };

@Injectable()
export class RoutesService implements OnModuleInit, OnModuleDestroy {
  private readonly listener: RouteChangeListener;
  private readonly publisher: IORedis;
  /** Per VPC, its last read of the routing (or the next, in a burst): the generation it has and when it starts (see recentRouting). */
  private readonly recentReads = new Map<string, { generation: number; readAt: number; read: Promise<RecentRouting> }>();
  /** Agent token look-ups, one statement per event-loop turn. */
  private readonly reports: ReportBatch;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.listener = new RouteChangeListener(config.redisUrl);
    this.reports = new ReportBatch((entries) => new RouteQueries(db).targetsWithTokens(entries));
    this.publisher = new IORedis(config.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    this.publisher.on('error', () => undefined);
  }

  onModuleInit(): void {
    this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
    this.publisher.disconnect();
  }

  /**
   * Wakes the agents of a VPC here and in every other API replica. Not awaited: a Redis outage must
   * not hold up a committed write (the other replicas' agents then see it at their poll's timeout).
   */
  async changed(vpcId: string): Promise<void> {
    this.listener.notify(vpcId);
    void publishRoutesChanged(this.publisher, vpcId).catch(() => undefined);
  }

  async vpcRouting(vpcId: string): Promise<VpcRouting> {
    // Only the columns routing needs (not the policies): a VPC may hold thousands of tunnels.
    const rows = await new RouteQueries(this.db).vpcTunnels(vpcId);
    const subnets = await new RouteQueries(this.db).vpcSubnets(vpcId);
    return {
      subnets,
      tunnels: rows.map((t) => ({
        id: t.id,
        gatewayId: t.gateway_id,
        gatewaySubnetId: t.subnet_id,
        gatewayPrivateIp: t.private_ip,
        localSubnetIds: t.local_subnet_ids,
        remoteCidrs: t.remote_cidrs,
        connectionState: t.connection_state,
        // A deleting or expired gateway carries no traffic: its tunnels' routes go at once (no hold-down).
        resourceState: t.gateway_state === 'deleting' || t.gateway_state === 'expired' ? t.gateway_state : t.resource_state,
        disconnectedAt: t.disconnected_at,
        pairStates: t.pair_states,
      })),
    };
  }

  routesOf(target: AgentTarget, routing: VpcRouting, now = new Date()): TargetRoutes {
    const ref = target.kind === 'instance' ? { kind: 'instance' as const, subnetId: target.subnetId! } : { kind: 'vpc_router' as const };
    return desiredRoutes(ref, routing.tunnels, routing.subnets, now, ROUTE_HOLD_DOWN_MS);
  }

  /**
   * The target of an agent token, null when none has it; with `report` (a poll's), the report is
   * recorded by the same statement, batched with the other look-ups of this event-loop turn
   * (report-batch.ts). Rejects with the database's error when the statement failed.
   */
  targetOfToken(token: string, report: AgentReport | null = null): Promise<AgentTarget | null> {
    return this.reports.lookUp(hashApiKey(token), report);
  }

  /** The report a poll carries (its query and X-Agent-Version), as stored; undefined without one. */
  static pollReport(q: AgentRoutesQueryDto, agentVersion: string | undefined): AgentReport | undefined {
    if (q.appliedVersion === undefined) return undefined;
    return {
      appliedVersion: q.appliedVersion.slice(0, 32),
      agentVersion: agentVersion?.slice(0, 32) ?? null,
      lastError: q.error ? q.error.slice(0, 1000) : null,
    };
  }

  /**
   * GET /api/v1/agent/routes: the report it may carry, then the long poll. `reported`: the token's
   * look-up recorded the report already (agentTargetOf with the poll's report).
   */
  async agentPoll(target: AgentTarget, q: AgentRoutesQueryDto, agentVersion: string | undefined, reported = false): Promise<AgentRoutesDto> {
    const report = q.appliedVersion !== undefined ? { appliedVersion: q.appliedVersion, error: q.error ?? null } : undefined;
    const r = await this.poll(target, q.version, q.wait ?? 0, agentVersion, report, reported);
    return { version: r.version, routes: r.routes, pollAfterSeconds: 0 };
  }

  /**
   * The agent's long poll: answers at once when its version is stale, otherwise when the VPC's
   * routes change (or a hold-down ends) and the set really differs, or when the wait is over.
   */
  async poll(
    target: AgentTarget,
    version: string | undefined,
    waitSeconds: number,
    agentVersion: string | undefined,
    report?: { appliedVersion: string; error: string | null },
    reported = false,
  ): Promise<TargetRoutes> {
    const reportedVersion = agentVersion?.slice(0, 32);
    const checkedIn = target.lastCheckInAt ? Date.now() - target.lastCheckInAt.getTime() : Infinity;
    if (report) {
      // The report riding on the poll is its check-in too (one write, as POST /report makes).
      if (!reported) await this.report(target, report.appliedVersion, reportedVersion ?? null, report.error);
    } else if (checkedIn >= CHECK_IN_RESOLUTION_MS || checkedIn < 0 || (reportedVersion && reportedVersion !== target.agentVersion)) {
      await new RouteQueries(this.db).updateTarget(target.id, { lastCheckInAt: new Date(), ...(reportedVersion && { agentVersion: reportedVersion }) });
    }
    const deadline = Date.now() + Math.min(Math.max(waitSeconds, 0), MAX_WAIT_SECONDS) * 1000;
    for (;;) {
      // Noted before reading: a change landing during the read wakes the wait below at once.
      const generation = this.listener.generation(target.vpcId);
      // One read (and one computation per subnet) serves every poll of the VPC at this generation:
      // after a change all its agents are answered, report and poll again within moments.
      const current = (await this.recentRouting(target.vpcId, generation)).routesOf(target);
      const remaining = deadline - Date.now();
      if (current.version !== version || remaining <= 0) return current;
      const untilHoldDown = current.holdDownEndsAt ? current.holdDownEndsAt.getTime() - Date.now() + 50 : remaining;
      await this.listener.waitForChange(target.vpcId, Math.min(remaining, untilHoldDown), generation);
    }
  }

  /** An agent's report; without `agentVersion` (a poll without X-Agent-Version) the stored one stays. */
  async report(target: AgentTarget, appliedVersion: string, agentVersion: string | null, error: string | null): Promise<void> {
    await new RouteQueries(this.db).recordReport(target.id, {
      appliedVersion: appliedVersion.slice(0, 32),
      agentVersion: agentVersion?.slice(0, 32) ?? null,
      lastError: error ? error.slice(0, 1000) : null,
    });
  }

  // --- tokens (operators) --------------------------------------------------------------------

  async issueInstanceToken(instanceId: string): Promise<string> {
    const target = await new RouteQueries(this.db).instanceTarget(instanceId);
    if (!target) throw new NotFound('instance', instanceId);
    return this.issue(target);
  }

  async issueRouterToken(vpcId: string): Promise<string> {
    const target = await new RouteQueries(this.db).routerTarget(vpcId);
    if (!target) throw new NotFound('VPC', vpcId);
    return this.issue(target);
  }

  private async issue(target: AgentTarget): Promise<string> {
    // A new token replaces the old one: rotation and re-issue are the same operation.
    const token = newSecretToken('vpna');
    await new RouteQueries(this.db).updateTarget(target.id, { tokenHash: hashApiKey(token), tokenPrefix: token.slice(0, 8), tokenIssuedAt: new Date() });
    return token;
  }

  async revokeInstanceToken(instanceId: string): Promise<void> {
    if (!(await new RouteQueries(this.db).revokeToken({ instanceId }))) throw new NotFound('agent token of instance', instanceId);
  }

  async revokeRouterToken(vpcId: string): Promise<void> {
    if (!(await new RouteQueries(this.db).revokeToken({ vpcId, kind: 'vpc_router' }))) throw new NotFound('router agent token of VPC', vpcId);
  }

  // --- status ------------------------------------------------------------------------------

  /** Operator view: every agent with its check-in and whether it applied its current routes. */
  async agents(filter: { vpcId?: string; tenantId?: string }) {
    const where = { ...(filter.vpcId && { vpcId: filter.vpcId }), ...(filter.tenantId && { tenantId: filter.tenantId }) };
    const targets = await new RouteQueries(this.db).targets(where);
    const routing = new Map<string, RecentRouting>();
    for (const vpcId of new Set(targets.map((t) => t.vpcId))) routing.set(vpcId, await this.recentRouting(vpcId));
    return targets.map((t) => {
      const desired = routing.get(t.vpcId)!.routesOf(t);
      return {
        id: t.id,
        kind: t.kind,
        vpcId: t.vpcId,
        subnetId: t.subnetId,
        instanceId: t.instanceId,
        instanceName: t.instance?.name ?? null,
        tokenIssued: !!t.tokenHash,
        agentVersion: t.agentVersion,
        lastCheckInAt: t.lastCheckInAt,
        appliedVersion: t.appliedVersion,
        desiredVersion: desired.version,
        upToDate: t.appliedVersion === desired.version && !t.lastError,
        lastError: t.lastError,
        routes: desired.routes,
        conflicts: desired.conflicts,
      };
    });
  }

  /**
   * A VPC's routing for agents' long polls and status views (a tunnel's detail asks it on every
   * load): one read reused while this process hears of no change in the VPC, for at most
   * RECENT_ROUTING_MAX_AGE_MS (a lost Redis message costs that much staleness on top of the parked
   * polls it fails to wake), with each target's routes computed once per read and again only when
   * a hold-down it depends on ends. A read in flight is shared the same way: the polls a change
   * wakes all at once make one read. While changes keep coming (BURST_READ_INTERVAL_MS) the next
   * read waits for the interval, and the changes announced before it starts share it.
   */
  private recentRouting(vpcId: string, generation = this.listener.generation(vpcId)): Promise<RecentRouting> {
    const now = Date.now();
    const hit = this.recentReads.get(vpcId);
    if (hit && now - hit.readAt < RECENT_ROUTING_MAX_AGE_MS) {
      // A read that started after this generation's change was announced has it.
      if (hit.generation >= generation) return hit.read;
      // One not started yet will have it too: it now stands for this generation.
      if (now < hit.readAt) {
        hit.generation = generation;
        return hit.read;
      }
    }
    for (const [id, e] of this.recentReads) if (now - e.readAt >= RECENT_ROUTING_MAX_AGE_MS) this.recentReads.delete(id);
    // In a burst, the next read starts BURST_READ_INTERVAL_MS after the last one started.
    const wait = hit ? Math.max(0, hit.readAt + BURST_READ_INTERVAL_MS - now) : 0;
    const start = wait ? new Promise<void>((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
    const entry = { generation, readAt: now + wait, read: start.then(() => this.vpcRouting(vpcId)).then((routing) => new RecentRouting(routing, this)) };
    this.recentReads.set(vpcId, entry);
    entry.read.catch(() => {
      if (this.recentReads.get(vpcId) === entry) this.recentReads.delete(vpcId);
    });
    return entry.read;
  }

  /** Per tunnel: the targets that must carry its routes, and which of them have them. */
  async pushStatus(tunnel: PushedTunnel) {
    const gateway = await new RouteQueries(this.db).gatewayPlace(tunnel.gatewayId);
    const recent = await this.recentRouting(gateway.vpcId);
    const concerned = await new RouteQueries(this.db).targetsCarrying(gateway, tunnel.localSubnetIds);
    const failed: { targetId: string; name: string; error: string; errorCode: PushErrorCode }[] = [];
    const pending: { targetId: string; name: string }[] = [];
    const instances: { targetId: string; name: string; status: 'applied' | 'pending' | 'failed'; error: string | null; errorCode: PushErrorCode | null }[] = [];
    let applied = 0;
    for (const t of concerned) {
      const name = t.instance?.name ?? `router of ${t.vpcId}`;
      const desired = recent.routesOf(t);
      if (t.lastError) {
        const errorCode = pushErrorCode(t.lastError);
        failed.push({ targetId: t.id, name, error: t.lastError, errorCode });
        instances.push({ targetId: t.id, name, status: 'failed', error: t.lastError, errorCode });
      } else if (t.appliedVersion === desired.version) {
        applied++;
        instances.push({ targetId: t.id, name, status: 'applied', error: null, errorCode: null });
      } else {
        pending.push({ targetId: t.id, name });
        instances.push({ targetId: t.id, name, status: 'pending', error: null, errorCode: null });
      }
    }
    // Whether the tunnel's routes are wanted at all: a tunnel that never connected has none to apply.
    const now = Date.now();
    const holdLeftMs = tunnel.connectionState !== 'connected' && tunnel.disconnectedAt ? ROUTE_HOLD_DOWN_MS - (now - tunnel.disconnectedAt.getTime()) : 0;
    const routable = tunnel.resourceState !== 'deleting' && tunnel.resourceState !== 'error'; // as isRoutable
    const routing =
      tunnel.connectionState === 'connected' && routable
        ? ('routed' as const)
        : holdLeftMs > 0 && routable
          ? ('hold_down' as const)
          : ('not_connected' as const);
    return {
      targets: concerned.length,
      applied,
      failed,
      pending,
      instances,
      routing,
      holdDownSecondsLeft: routing === 'hold_down' ? Math.ceil(holdLeftMs / 1000) : null,
    };
  }
}

/** One read of a VPC's routing with each target's desired routes memoised (until a hold-down ends). */
class RecentRouting {
  private readonly byTarget = new Map<string, TargetRoutes>();

  constructor(
    private readonly routing: VpcRouting,
    private readonly service: Pick<RoutesService, 'routesOf'>,
  ) {}

  routesOf(target: AgentTarget, now = new Date()): TargetRoutes {
    const key = target.kind === 'instance' ? `instance:${target.subnetId}` : 'vpc_router';
    const memo = this.byTarget.get(key);
    if (memo && (!memo.holdDownEndsAt || now < memo.holdDownEndsAt)) return memo;
    const desired = this.service.routesOf(target, this.routing, now);
    this.byTarget.set(key, desired);
    return desired;
  }
}
