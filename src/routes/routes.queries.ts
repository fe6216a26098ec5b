import { DataSource, EntityManager, EntityNotFoundError, FindOptionsWhere, In, IsNull, Not } from 'typeorm';
import { Subnet } from '../inventory/subnet.entity';
import { AgentTarget } from './agent-target.entity';
import { RoutingTunnel } from './desired-routes';
import type { AgentReport } from './report-batch';

/** A VPC's tunnel as routing reads it (only the columns routing needs, not the policies). */
export interface VpcRoutingRow {
  id: string;
  gateway_id: string;
  subnet_id: string;
  private_ip: string;
  local_subnet_ids: string[];
  remote_cidrs: string[];
  connection_state: string;
  resource_state: string;
  gateway_state: string;
  disconnected_at: Date | null;
  pair_states: RoutingTunnel['pairStates'];
}

/** An agent target's columns as the entity's properties (plain statements, no hydration). */
const TARGET_COLUMNS = `id, tenant_id AS "tenantId", kind, vpc_id AS "vpcId", subnet_id AS "subnetId", instance_id AS "instanceId",
  token_hash AS "tokenHash", token_prefix AS "tokenPrefix", token_issued_at AS "tokenIssuedAt", agent_version AS "agentVersion",
  last_check_in_at AS "lastCheckInAt", applied_version AS "appliedVersion", last_error AS "lastError",
  last_report_at AS "lastReportAt", created_at AS "createdAt"`;

/**
 * What RoutesService reads and writes: the VPC's tunnels and subnets, and the route agents'
 * targets. Runs on whatever it is given that has getRepository and query (DataSource or manager).
 */
export class RouteQueries {
  constructor(private readonly db: DataSource | EntityManager) {}

  vpcTunnels(vpcId: string): Promise<VpcRoutingRow[]> {
    return this.db.query(
      `SELECT t.id, t.gateway_id, g.subnet_id, g.private_ip, t.local_subnet_ids, t.remote_cidrs, t.connection_state,
              t.resource_state, g.resource_state AS gateway_state, t.disconnected_at, t.pair_states
         FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE g.vpc_id = $1`,
      [vpcId],
    );
  }

  vpcSubnets(vpcId: string): Promise<Pick<Subnet, 'id' | 'cidr'>[]> {
    return this.db.getRepository(Subnet).find({ where: { vpcId }, select: { id: true, cidr: true } });
  }

  /**
   * The targets of these agent token hashes (those found, each with its hash), recording the
   * reports given in the same statement (a report is the poll's check-in too, as recordReport);
   * one plain statement for many look-ups (report-batch.ts).
   */
  async targetsWithTokens(entries: { tokenHash: string; report: AgentReport | null }[]): Promise<AgentTarget[]> {
    const rows: Partial<AgentTarget>[] = await this.db.query(
      `WITH r AS (SELECT * FROM unnest($1::char(64)[], $2::bool[], $3::text[], $4::text[], $5::text[]) AS r(hash, reported, applied, agent_version, error)),
       u AS (UPDATE agent_targets t
                SET applied_version = r.applied, agent_version = COALESCE(r.agent_version, t.agent_version), last_error = r.error,
                    last_report_at = now(), last_check_in_at = now()
               FROM r WHERE t.token_hash = r.hash AND r.reported
             RETURNING t.*)
       SELECT ${TARGET_COLUMNS} FROM u
       UNION ALL
       SELECT ${TARGET_COLUMNS} FROM agent_targets WHERE token_hash IN (SELECT hash FROM r WHERE NOT reported)`,
      [
        entries.map((e) => e.tokenHash),
        entries.map((e) => !!e.report),
        entries.map((e) => e.report?.appliedVersion ?? null),
        entries.map((e) => e.report?.agentVersion ?? null),
        entries.map((e) => e.report?.lastError ?? null),
      ],
    );
    return rows.map((row) => Object.assign(new AgentTarget(), row));
  }

  /** An agent's report (and check-in), as one plain statement: every agent reports every change. */
  async recordReport(id: string, r: { appliedVersion: string; agentVersion: string | null; lastError: string | null }): Promise<void> {
    await this.db.query(
      `UPDATE agent_targets SET applied_version = $2, agent_version = COALESCE($3, agent_version), last_error = $4, last_report_at = now(),
              last_check_in_at = now() WHERE id = $1`,
      [id, r.appliedVersion, r.agentVersion, r.lastError],
    );
  }

  instanceTarget(instanceId: string): Promise<AgentTarget | null> {
    return this.db.getRepository(AgentTarget).findOne({ where: { instanceId } });
  }

  routerTarget(vpcId: string): Promise<AgentTarget | null> {
    return this.db.getRepository(AgentTarget).findOne({ where: { vpcId, kind: 'vpc_router' } });
  }

  async updateTarget(id: string, patch: Partial<AgentTarget>): Promise<void> {
    await this.db.getRepository(AgentTarget).update({ id }, patch);
  }

  /** Clears the token of the target(s) matched; false when none had one. */
  async revokeToken(where: FindOptionsWhere<AgentTarget>): Promise<boolean> {
    const r = await this.db.getRepository(AgentTarget).update({ ...where, tokenHash: Not(IsNull()) }, { tokenHash: null, tokenPrefix: null });
    return !!r.affected;
  }

  /** Targets with their instances, by VPC then id. */
  targets(where: FindOptionsWhere<AgentTarget>): Promise<AgentTarget[]> {
    return this.db.getRepository(AgentTarget).find({ where, relations: { instance: true }, order: { vpcId: 'ASC', id: 'ASC' } });
  }

  /** The gateway's VPC and subnet (EntityNotFoundError, a 404, when a race removed it). */
  async gatewayPlace(gatewayId: string): Promise<{ vpcId: string; subnetId: string }> {
    const [g]: { vpc_id: string; subnet_id: string }[] = await this.db.query('SELECT vpc_id, subnet_id FROM vpn_gateways WHERE id = $1', [gatewayId]);
    if (!g) throw new EntityNotFoundError('VpnGateway', { id: gatewayId });
    return { vpcId: g.vpc_id, subnetId: g.subnet_id };
  }

  /**
   * The targets that must carry a tunnel's routes (with their instances, by id): the instances of
   * its local subnets, and the VPC's router when a local subnet is not the gateway's own.
   */
  targetsCarrying(gateway: { vpcId: string; subnetId: string }, localSubnetIds: string[]): Promise<AgentTarget[]> {
    return this.db.getRepository(AgentTarget).find({
      where: [
        { vpcId: gateway.vpcId, kind: 'instance', subnetId: In(localSubnetIds.length ? localSubnetIds : ['']) },
        ...(localSubnetIds.some((s) => s !== gateway.subnetId) ? [{ vpcId: gateway.vpcId, kind: 'vpc_router' as const }] : []),
      ],
      relations: { instance: true },
      order: { id: 'ASC' },
    });
  }
}
