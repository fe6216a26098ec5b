import { DataSource, EntityManager, In, Not, SelectQueryBuilder } from 'typeorm';
import { Conflict } from '../../common/errors';
import { GenericPlans } from '../../database/generic-plans';
import { managerOf } from '../../database/manager';
import { Page, ResolvedListQuery } from '../../common/list-query';
import { violation } from '../../common/violations';
import { keysetRawRows } from '../../exports/keyset.queries';
import type { TunnelExportRow } from '../vpn-sheets';
import { Subnet } from '../../inventory/subnet.entity';
import { Vpc } from '../../inventory/vpc.entity';
import { VpnGateway } from '../gateways/vpn-gateway.entity';
import { PeerGateway } from '../peers/peer-gateway.entity';
import { IkePolicy } from '../../policy/policy';
import { TunnelSubnets } from './tunnel-rules';
import { TunnelListQueryDto } from './tunnel.dto';
import type { TunnelViewColumns } from './tunnel-view';
import { TunnelPair } from './tunnel-pair.entity';
import { VpnTunnel } from './vpn-tunnel.entity';

export const TUNNEL_SORT = {
  createdAt: 't.created_at',
  name: 't.name',
  connectionState: 't.connection_state',
  resourceState: 't.resource_state',
  stateChangedAt: 't.state_changed_at',
};
export type TunnelFilters = Pick<TunnelListQueryDto, 'gatewayId' | 'peerId' | 'resourceState' | 'connectionState'>;

/**
 * The list's search as conditions on vpn_tunnels `t` alone (tenant and pattern given as SQL
 * placeholders): ILIKE over the tunnel's name and id, its gateway's name and address, its peer's
 * name and address. The gateways and peers that match are looked up first (trigram indexes on each
 * of those columns, migration ListIndexes; a gateway by name and by address as two lookups,
 * an OR across the join would read every gateway of the tenant, and a peer by name and by address
 * as two lookups too, an OR of two ILIKEs is planned as a scan of every peer of the tenant), so
 * PostgreSQL ORs four indexes on vpn_tunnels (trigram on name and on lower(id), btree on gateway_id
 * and peer_id) instead of testing every row. The id is searched as `lower(t.id)` (ids are lowercase:
 * the same matches), the expression its trigram index is on (migration TunnelIdSearchIndex): an
 * index on id itself would also serve equality, and lookups by id must only ever take the primary key.
 */
export function searchCondition(tenant: string, like: string): string {
  return `(t.name ILIKE ${like} OR lower(t.id) ILIKE ${like}
    OR t.gateway_id = ANY(ARRAY(SELECT sg.id FROM vpn_gateways sg WHERE sg.tenant_id = ${tenant} AND sg.name ILIKE ${like}
                                UNION SELECT sg.id FROM external_ips se JOIN vpn_gateways sg ON sg.external_ip_id = se.id
                                WHERE sg.tenant_id = ${tenant} AND se.address ILIKE ${like}))
    OR t.peer_id = ANY(ARRAY(SELECT sp.id FROM peer_gateways sp WHERE sp.tenant_id = ${tenant} AND sp.name ILIKE ${like}
                             UNION SELECT sp.id FROM peer_gateways sp WHERE sp.tenant_id = ${tenant} AND sp.ip_address ILIKE ${like})))`;
}

/** A subnet as a tunnel's view shows it. */
export type SubnetRef = Pick<Subnet, 'id' | 'name' | 'cidr'>;

/** A page of the tunnel list (its rows as read) with the subnets its tunnels name. */
export interface TunnelPage extends Page<TunnelListRow> {
  subnets: Map<string, SubnetRef>;
}

// The page's rows: the columns the tunnel's view shows (never psk_sealed), what the list shows of the
// gateway and peer, and the tunnel's local subnets. `pg` is the page's (id, sort key).
const LIST_COLUMNS = `t.id, t.name, t.remark, t.gateway_id AS "gatewayId", t.peer_id AS "peerId",
  t.local_subnet_ids AS "localSubnetIds", t.remote_cidrs AS "remoteCidrs", t.ike_policy AS "ikePolicy", t.ipsec_policy AS "ipsecPolicy",
  t.initiator_mode AS "initiatorMode", t.dpd, t.ike_fragmentation AS "ikeFragmentation", t.tcp_mss_clamp AS "tcpMssClamp",
  t.resource_state AS "resourceState", t.connection_state AS "connectionState", t.failure_code AS "failureCode",
  t.failure_message AS "failureMessage", t.failure_phase AS "failurePhase", t.failure_tries AS "failureTries", t.failure_at AS "failureAt",
  t.pair_states AS "pairStates", t.config_version AS "configVersion",
  t.alert_template_id AS "alertTemplateId", t.connected_at AS "connectedAt", t.disconnected_at AS "disconnectedAt",
  t.state_changed_at AS "stateChangedAt", t.created_at AS "createdAt",
  g.name AS "gatewayName", e.address AS "gatewayIp", p.name AS "peerName", p.ip_address AS "peerIp",
  (SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'cidr', s.cidr)) FROM subnets s WHERE s.id = ANY(t.local_subnet_ids)) AS subnets`;
const LIST_JOINS = `JOIN vpn_tunnels t ON t.id = pg.id JOIN vpn_gateways g ON g.id = t.gateway_id
  JOIN external_ips e ON e.id = g.external_ip_id JOIN peer_gateways p ON p.id = t.peer_id`;

/**
 * A list row as node-postgres returns it: the tunnel's columns its view reads, its gateway's and
 * peer's name and address, its subnets. The view is built from it directly (`tunnelListView`), not
 * through entity instances: on a 20-row page that copy was a fifth of the list's allocations.
 */
export type TunnelListRow = TunnelViewColumns & {
  total: number;
  subnets: SubnetRef[] | null;
};

/** A create's checks before its transaction (TunnelQueries.creationContext). */
export interface CreationContext {
  gateway: { id: string; hostId: string | null; name: string; address: string; vpc: { id: string; cidr: string; subnets: SubnetRef[] } } | null;
  peer: { id: string; name: string; ipAddress: string } | null;
}

/** A list's statement: its SQL and values, whether it runs on a generic plan, and its count alone (past the last page). */
export interface ListStatement {
  sql: string;
  params: unknown[];
  genericPlan: boolean;
  countSql: string;
  countParams: unknown[];
}

/**
 * The tunnel list's statement: page, exact total, rows, gateway/peer names and subnets together.
 * A search's matches (id and sort key) are materialised once, then counted and sorted: PostgreSQL
 * finds them through the trigram and foreign-key indexes instead of walking the sort index and
 * testing the search on every row it passes. An unsearched list walks the sort index to the page
 * and counts beside it. Only the page's rows are joined to what the list shows.
 *
 * A search runs on a generic plan (`genericPlan`): its shape does not depend on the term (a
 * BitmapOr of the four indexes, a top-N sort of the matches), and parsing and planning a statement
 * of ten table references cost as much PostgreSQL CPU as executing it. An unsearched page is
 * planned for its values: a generic plan cannot know that OFFSET 5000 LIMIT 20 is best read along
 * the sort index.
 */
export function tunnelListStatement(tenantId: string, q: ResolvedListQuery, f: TunnelFilters): ListStatement {
  const params: unknown[] = [tenantId];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = ['t.tenant_id = $1'];
  if (f.gatewayId) where.push(`t.gateway_id = ${param(f.gatewayId)}`);
  if (f.peerId) where.push(`t.peer_id = ${param(f.peerId)}`);
  if (f.resourceState) where.push(`t.resource_state = ${param(f.resourceState)}`);
  if (f.connectionState) where.push(`t.connection_state = ${param(f.connectionState)}`);
  if (q.like) where.push(searchCondition('$1', param(q.like)));
  const scope = where.join(' AND ');
  // The tenant's whole list (the console's default view) is counted from its gateways' tunnel
  // counts, one row per gateway instead of one index entry per tunnel (20x fewer): exact, because
  // a gateway's count changes in the transaction that inserts or deletes its tunnel (the limit of
  // 20 per gateway is checked on it), and every tunnel is on a gateway of its own tenant.
  const count =
    where.length === 1
      ? `SELECT coalesce(sum(g.tunnel_count), 0) FROM vpn_gateways g WHERE g.tenant_id = $1`
      : `SELECT count(*) FROM vpn_tunnels t WHERE ${scope}`;
  const countParams = [...params];
  const [dir, sort] = [q.order, q.sortColumn];
  const page = `LIMIT ${param(q.limit)} OFFSET ${param(q.offset)}`;
  const sql = q.like
    ? `WITH m AS MATERIALIZED (SELECT t.id, ${sort} AS k FROM vpn_tunnels t WHERE ${scope})
          SELECT (SELECT count(*) FROM m)::int AS total, ${LIST_COLUMNS}
          FROM (SELECT id, k FROM m ORDER BY k ${dir}, id ${dir} ${page}) pg ${LIST_JOINS}
          ORDER BY pg.k ${dir}, pg.id ${dir}`
    : `SELECT (${count})::int AS total, ${LIST_COLUMNS}
          FROM (SELECT t.id, ${sort} AS k FROM vpn_tunnels t WHERE ${scope} ORDER BY ${sort} ${dir}, t.id ${dir} ${page}) pg ${LIST_JOINS}
          ORDER BY pg.k ${dir}, pg.id ${dir}`;
  return { sql, params, genericPlan: !!q.like, countSql: `SELECT (${count})::int AS total`, countParams };
}

/** What TunnelsService reads and writes: the SQL of tunnels, their lock order and their checks under lock. */
export class TunnelQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  private query(tenantId: string) {
    return this.m
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .innerJoinAndSelect('t.gateway', 'g')
      .innerJoinAndSelect('g.externalIp', 'eip')
      .innerJoinAndSelect('t.peer', 'p')
      .where('t.tenant_id = :tenantId', { tenantId });
  }

  /**
   * One page of the list, its exact total and the page's subnets in ONE statement (decisions.md,
   * "The tunnel list in one statement"); a search's statement runs on a cached generic plan, on the
   * generic-plan pool's sessions (`GenericPlans`). Past the last page no row carries the total: it
   * is counted alone.
   */
  async list(tenantId: string, q: ResolvedListQuery, f: TunnelFilters, plans: GenericPlans): Promise<TunnelPage> {
    const statement = tunnelListStatement(tenantId, q, f);
    const rows = await this.run<TunnelListRow>(statement, plans);
    // Past the last page no row carries the total: count alone (an empty first page has none).
    let total = rows[0]?.total ?? 0;
    if (!rows.length && q.offset > 0) {
      total = ((await this.m.query(statement.countSql, statement.countParams)) as { total: number }[])[0].total;
    }
    const subnets = new Map<string, SubnetRef>();
    for (const r of rows) for (const s of r.subnets ?? []) subnets.set(s.id, s);
    return { items: rows, total, offset: q.offset, limit: q.limit, subnets };
  }

  /** A list statement as it is meant to run: prepared on a generic-plan session, or planned for its values. */
  private async run<T>(st: ListStatement, plans: GenericPlans): Promise<T[]> {
    // Inside a caller's transaction the statement takes that transaction's connection, planned as usual.
    if (!st.genericPlan || this.m.queryRunner) return (await this.m.query(st.sql, st.params)) as T[];
    this.m.connection.logger.logQuery(st.sql, st.params);
    return plans.query<T>(st.sql, st.params);
  }

  /** Every tunnel the list would show, in its order, a page at a time: the Excel export's columns only (no PSK). */
  exportRows(tenantId: string, q: ResolvedListQuery, f: TunnelFilters): AsyncIterable<TunnelExportRow> {
    return keysetRawRows<TunnelExportRow>(
      () =>
        this.filtered(this.query(tenantId), tenantId, q, f)
          .select('t.id', 'id')
          .addSelect('t.name', 'name')
          .addSelect('g.name', 'gatewayName')
          .addSelect('eip.address', 'gatewayIp')
          .addSelect('p.name', 'peerName')
          .addSelect('p.ip_address', 'peerIp')
          .addSelect('t.created_at', 'createdAt')
          .addSelect('t.resource_state', 'resourceState')
          .addSelect('t.connection_state', 'connectionState'),
      { ...q, like: null },
      [],
    );
  }

  /** The export's filters and search: the same conditions as `list` builds, for keysetRawRows' query builder. */
  private filtered(qb: SelectQueryBuilder<VpnTunnel>, tenantId: string, q: Pick<ResolvedListQuery, 'like'>, f: TunnelFilters) {
    if (f.gatewayId) qb.andWhere('t.gateway_id = :gatewayId', { gatewayId: f.gatewayId });
    if (f.peerId) qb.andWhere('t.peer_id = :peerId', { peerId: f.peerId });
    if (f.resourceState) qb.andWhere('t.resource_state = :rs', { rs: f.resourceState });
    if (f.connectionState) qb.andWhere('t.connection_state = :cs', { cs: f.connectionState });
    if (q.like) qb.andWhere(searchCondition(':tenantId', ':like'), { like: q.like });
    return qb;
  }

  /** One tenant's tunnel with its gateway (and address) and peer, or null. */
  find(tenantId: string, id: string): Promise<VpnTunnel | null> {
    return this.query(tenantId).andWhere('t.id = :id', { id }).getOne();
  }

  /** The sealed pre-shared key (a column never selected otherwise), or null when there is no such tunnel. */
  async sealedPsk(tenantId: string, id: string): Promise<string | null> {
    const row = await this.m
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .addSelect('t.psk_sealed', 't_psk_sealed')
      .where('t.id = :id AND t.tenant_id = :tenantId', { id, tenantId })
      .getOne();
    return row ? row.pskSealed : null;
  }

  /** Subnet refs (id, name, cidr) of the given ids, for views. */
  async subnetsById(ids: string[]): Promise<Map<string, Subnet>> {
    if (!ids.length) return new Map();
    const rows = await this.m.find(Subnet, { where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((s) => [s.id, s]));
  }

  /**
   * What a create checks before its transaction, in ONE round trip (it took four, two of them one
   * after the other, on the POST's way to the worker): the tenant's gateway with its address and its
   * VPC's subnets, and the tenant's peer; null for either that is not the tenant's.
   */
  async creationContext(tenantId: string, gatewayId: string, peerId: string): Promise<CreationContext> {
    const [row] = (await this.m.query(
      `SELECT
         (SELECT json_build_object('id', g.id, 'hostId', g.host_id, 'name', g.name, 'address', e.address,
                   'vpc', json_build_object('id', v.id, 'cidr', v.cidr,
                     'subnets', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name, 'cidr', s.cidr) ORDER BY s.id), '[]'::json) FROM subnets s WHERE s.vpc_id = v.id)))
            FROM vpn_gateways g JOIN external_ips e ON e.id = g.external_ip_id JOIN vpcs v ON v.id = g.vpc_id
           WHERE g.id = $2 AND g.tenant_id = $1) AS gateway,
         (SELECT json_build_object('id', p.id, 'name', p.name, 'ipAddress', p.ip_address) FROM peer_gateways p WHERE p.id = $3 AND p.tenant_id = $1) AS peer`,
      [tenantId, gatewayId, peerId],
    )) as CreationContext[];
    return row;
  }

  gateway(id: string, withAddress = false): Promise<VpnGateway> {
    return this.m.findOneOrFail(VpnGateway, { where: { id }, ...(withAddress && { relations: { externalIp: true } }) });
  }

  peer(id: string): Promise<PeerGateway> {
    return this.m.findOneOrFail(PeerGateway, { where: { id } });
  }

  async vpcWithSubnets(vpcId: string): Promise<{ id: string; cidr: string; subnets: Subnet[] }> {
    const [vpc, subnets] = await Promise.all([this.m.findOneOrFail(Vpc, { where: { id: vpcId } }), this.m.find(Subnet, { where: { vpcId } })]);
    return { id: vpc.id, cidr: vpc.cidr, subnets };
  }

  /** The gateway's row, locked (first in the lock order gateway -> peer -> tunnel), or null when gone. */
  lockGateway(id: string): Promise<VpnGateway | null> {
    return this.m.createQueryBuilder(VpnGateway, 'g').setLock('pessimistic_write').where('g.id = :id', { id }).getOne();
  }

  /** The peer's row, locked (after its gateways'), or null when gone. */
  lockPeer(id: string): Promise<PeerGateway | null> {
    return this.m.createQueryBuilder(PeerGateway, 'p').setLock('pessimistic_write').where('p.id = :id', { id }).getOne();
  }

  /** The tunnel's row, locked (after its gateway's and peer's). */
  lockTunnel(tenantId: string, id: string): Promise<VpnTunnel | null> {
    return this.m.createQueryBuilder(VpnTunnel, 't').setLock('pessimistic_write').where('t.id = :id AND t.tenant_id = :tenantId', { id, tenantId }).getOne();
  }

  /** The tunnels of these ids, locked, in id order (after every gateway and peer lock). */
  lockTunnels(ids: string[]): Promise<VpnTunnel[]> {
    return ids.length
      ? this.m.createQueryBuilder(VpnTunnel, 't').setLock('pessimistic_write').where('t.id IN (:...ids)', { ids }).orderBy('t.id').getMany()
      : Promise.resolve([]);
  }

  /** Which gateway a tenant's tunnel is on (read before locking that gateway), or null. */
  gatewayRef(tenantId: string, id: string): Promise<Pick<VpnTunnel, 'id' | 'gatewayId'> | null> {
    return this.m.findOne(VpnTunnel, { where: { id, tenantId }, select: { id: true, gatewayId: true } });
  }

  /** A tenant's tunnels of these ids with their gateways, in id order. */
  withGateways(tenantId: string, ids: string[]): Promise<VpnTunnel[]> {
    return this.m.find(VpnTunnel, { where: { id: In(ids.length ? ids : ['']), tenantId }, relations: { gateway: true }, order: { id: 'ASC' } });
  }

  /**
   * Inserts the tunnel and gives its row as stored: what was written with the columns PostgreSQL
   * filled in (RETURNING), without the sealed key (like every read here but `sealedPsk`).
   */
  async insert(row: Partial<VpnTunnel> & Pick<VpnTunnel, 'id' | 'gatewayId' | 'peerId'>): Promise<VpnTunnel> {
    const { generatedMaps } = await this.m.insert(VpnTunnel, row);
    const { pskSealed: _sealed, ...stored } = row;
    return Object.assign(new VpnTunnel(), stored, generatedMaps[0]);
  }

  /** One more tunnel on the gateway and on the peer, in one statement (both rows are locked already). */
  async countOn(gatewayId: string, peerId: string): Promise<void> {
    await this.m.query(
      `WITH g AS (UPDATE vpn_gateways SET tunnel_count = tunnel_count + 1 WHERE id = $1)
       UPDATE peer_gateways SET tunnel_count = tunnel_count + 1 WHERE id = $2`,
      [gatewayId, peerId],
    );
  }

  /** Updates a tenant's tunnel; false when there is none. */
  async update(tenantId: string, id: string, patch: Partial<VpnTunnel>): Promise<boolean> {
    const result = await this.m.update(VpnTunnel, { id, tenantId }, patch);
    return !!result.affected;
  }

  /**
   * Two tunnels of one gateway towards the same peer address with the same (local id, remote id)
   * cannot both come up: charon picks the IKE config (and the PSK) by addresses and ids, so the
   * second tunnel's CHILD_SA lands on the first one's IKE SA and is refused. Checked under the
   * gateway's row lock.
   */
  async assertIdentityFree(gatewayId: string, peerIp: string, ike: IkePolicy, exceptTunnelId?: string, field = 'ikePolicy.remoteId'): Promise<void> {
    const clash: { id: string; name: string }[] = await this.m.query(
      `SELECT t.id, t.name FROM vpn_tunnels t JOIN peer_gateways p ON p.id = t.peer_id
        WHERE t.gateway_id = $1 AND p.ip_address = $2 AND t.ike_policy->>'localId' = $3 AND t.ike_policy->>'remoteId' = $4
          AND ($5::varchar IS NULL OR t.id <> $5) LIMIT 1`,
      [gatewayId, peerIp, ike.localId, ike.remoteId, exceptTunnelId ?? null],
    );
    if (clash.length) {
      const message =
        `tunnel ${clash[0].id} (${clash[0].name}) already connects this gateway to ${peerIp} with local id ${ike.localId} and remote id ${ike.remoteId}: ` +
        'add the subnets to that tunnel, or give this one different IKE ids';
      throw new Conflict('ike_identity_in_use', message, [violation(field, 'ike_identity_unique_per_gateway_and_peer', ike.remoteId, message)]);
    }
  }
}

/** The (local subnet, remote CIDR) pairs of tunnels: unique per VPC (the spec's routing rule). */
export class TunnelPairs {
  constructor(private readonly m: EntityManager) {}

  /**
   * Claims the pairs, or throws pair_in_use naming the tunnels that hold them. The insert comes
   * first (one round trip when nothing clashes, the common case); a pair another tunnel holds, or
   * one a concurrent create is inserting (the insert waits for it), is skipped, and only then are
   * the holders read for the message.
   */
  async claim(vpcId: string, tunnelId: string, s: TunnelSubnets): Promise<void> {
    const locals = s.localSubnetIds.flatMap((id) => s.remoteCidrs.map(() => id));
    const remotes = s.localSubnetIds.flatMap(() => s.remoteCidrs);
    const inserted = (await this.m.query(
      `INSERT INTO vpn_tunnel_pairs (vpc_id, local_subnet_id, remote_cidr, tunnel_id)
       SELECT $1, l, r, $2 FROM unnest($3::varchar[], $4::varchar[]) AS x(l, r)
       ON CONFLICT DO NOTHING RETURNING remote_cidr`,
      [vpcId, tunnelId, locals, remotes],
    )) as unknown[];
    if (inserted.length === locals.length) return;
    const taken = await this.m.find(TunnelPair, {
      where: { vpcId, localSubnetId: In(s.localSubnetIds), remoteCidr: In(s.remoteCidrs), tunnelId: Not(tunnelId) },
      order: { localSubnetId: 'ASC', remoteCidr: 'ASC' },
    });
    const problems = taken.length
      ? taken.map((p) => {
          const local = s.localCidrs[s.localSubnetIds.indexOf(p.localSubnetId)];
          return violation(
            'remoteCidrs',
            'pair_unique_in_vpc',
            p.remoteCidr,
            `the pair ${local} -> ${p.remoteCidr} is already used by tunnel ${p.tunnelId} in this VPC`,
          );
        })
      : [violation('remoteCidrs', 'pair_unique_in_vpc', s.remoteCidrs, 'a pair of this tunnel is already used by another tunnel in this VPC')];
    throw new Conflict('pair_in_use', problems.map((p) => p.message).join('; '), problems);
  }

  async replace(vpcId: string, tunnelId: string, s: TunnelSubnets): Promise<void> {
    await this.m.delete(TunnelPair, { tunnelId });
    await this.claim(vpcId, tunnelId, s);
  }
}

/** The last step of deleting a tunnel, shared with the worker: counts down, row (and pairs) gone. */
export async function finalizeTunnelDeletion(m: EntityManager, tunnelId: string): Promise<void> {
  const t = await m.findOne(VpnTunnel, { where: { id: tunnelId } });
  if (!t) return;
  await m.createQueryBuilder(VpnGateway, 'g').setLock('pessimistic_write').where('g.id = :id', { id: t.gatewayId }).getOne();
  await m.createQueryBuilder(PeerGateway, 'p').setLock('pessimistic_write').where('p.id = :id', { id: t.peerId }).getOne();
  await m.delete(VpnTunnel, { id: tunnelId });
  await m.decrement(VpnGateway, { id: t.gatewayId }, 'tunnelCount', 1);
  await m.decrement(PeerGateway, { id: t.peerId }, 'tunnelCount', 1);
}
