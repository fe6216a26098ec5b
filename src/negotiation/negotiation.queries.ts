// What the worker reads from and writes to PostgreSQL. Writes about a tunnel's connection are
// guarded by its configVersion, so a late report from an older configuration never overwrites the
// state of a newer one. Writes about a gateway and its tunnels may carry an OwnershipFence (the
// host and the epoch it claimed the gateway under): then they land only while the gateway is still
// that host's under that epoch, so a late write from a previous owner is ignored, never an error.
import { DataSource, In, IsNull, Not } from 'typeorm';
import { firstHost } from '../common/cidr';
import { unavailableDependency } from '../common/dependency-errors';
import { SecretBox } from '../common/secret-box';
import { GenericPlans } from '../database/generic-plans';
import { returnedRows } from '../database/manager';
import { ExternalIp } from '../inventory/external-ip.entity';
import { Subnet } from '../inventory/subnet.entity';
import { Vpc } from '../inventory/vpc.entity';
import { RenderableTunnel } from '../strongswan/tunnel-model';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { finalizeGatewayDeletion } from '../vpn/gateways/gateways.queries';
import { ConnectionState } from '../common/states';
import { finalizeTunnelDeletion } from '../vpn/tunnels/tunnels.queries';
import { toRenderable, TunnelRenderSource } from '../vpn/tunnels/renderable';
import { PairState, VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';
import { GatewayHost } from '../hosts/gateway-host.entity';
import { GatewayMoveReason } from '../hosts/gateway-move.entity';
import { claimShare, LEASE_EXPIRED, OwnershipFence, PLACEABLE } from '../hosts/host-lease';
import { SegmentPlacement } from './host/vxlan-network-driver';
import { TunnelEventKind } from '../vpn/tunnels/tunnel-event.entity';

export interface DesiredTunnel {
  render: RenderableTunnel;
  configVersion: number;
  appliedVersion: number | null;
  resourceState: VpnTunnel['resourceState'];
  /** The connection state stored when this was read (the reconciler corrects it from charon). */
  storedConnection: ConnectionState;
}

export interface StoredFailure {
  code: string;
  message: string;
  phase: number;
  tries: number;
}

export interface TunnelEventInput {
  kind: TunnelEventKind;
  result?: 'success' | 'failure' | null;
  phase?: number | null;
  reasonCode?: string | null;
  message?: string | null;
  configVersion?: number | null;
  lines?: string[];
  /** When it happened (a write kept through a PostgreSQL outage lands later). Default now. */
  at?: Date;
}

/**
 * What charon needs of a tunnel: only the columns the worker uses (the entity with its gateway,
 * address and peer was 70 columns through TypeORM's query builder, ~1 ms of the worker's CPU per
 * job before PostgreSQL saw it), the local subnets' CIDRs beside them (id to CIDR; a subnet gone
 * is left out), named as `DesiredRow` names them.
 */
const DESIRED_SELECT = `SELECT t.id, t.name, t.gateway_id AS "gatewayId", eip.address AS "gatewayIp", p.ip_address AS "peerIp",
  t.local_subnet_ids AS "localSubnetIds", t.remote_cidrs AS "remoteCidrs", t.ike_policy AS "ikePolicy", t.ipsec_policy AS "ipsecPolicy",
  t.initiator_mode AS "initiatorMode", t.dpd, t.ike_fragmentation AS "ikeFragmentation", t.tcp_mss_clamp AS "tcpMssClamp",
  t.config_version AS "configVersion", t.applied_version AS "appliedVersion", t.resource_state AS "resourceState",
  t.connection_state AS "connectionState", t.psk_sealed AS "pskSealed",
  (SELECT coalesce(json_object_agg(s.id, s.cidr), '{}') FROM subnets s WHERE s.id = ANY(t.local_subnet_ids)) AS "subnetCidrs"
FROM vpn_tunnels t
JOIN vpn_gateways g ON g.id = t.gateway_id
JOIN external_ips eip ON eip.id = g.external_ip_id
JOIN peer_gateways p ON p.id = t.peer_id`;

interface DesiredRow extends TunnelRenderSource {
  gatewayId: string;
  configVersion: number;
  appliedVersion: number | null;
  resourceState: VpnTunnel['resourceState'];
  connectionState: ConnectionState;
  pskSealed: string;
  subnetCidrs: Record<string, string>;
}

export class NegotiationStore {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretBox,
    /** Tells the API's route long-polls that a VPC's routes may have changed. */
    private readonly routesChanged: (vpcId: string) => Promise<void> = async () => undefined,
    /** Where a job's first read runs: the worker's prepared statements (GenericPlans); TypeORM's pool by default. */
    private readonly prepared: Pick<GenericPlans, 'query'> = { query: (sql, params) => db.query(sql, params) },
  ) {}

  /** Never awaited: a Redis outage must not hold up a state write (nor what follows it). */
  private notifyRoutes(vpcId: string): void {
    void this.routesChanged(vpcId).catch(() => undefined);
  }

  /** The gateway a tunnel belongs to (null when the tunnel is gone). */
  async gatewayOfTunnel(tunnelId: string): Promise<string | null> {
    const t = await this.db.getRepository(VpnTunnel).findOne({ where: { id: tunnelId }, select: { id: true, gatewayId: true } });
    return t?.gatewayId ?? null;
  }

  /** Takes gateways that no host serves yet (created while no worker was up): a new epoch each. */
  async claimUnplaced(hostId: string, capacity: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `UPDATE vpn_gateways SET host_id = $1, host_epoch = host_epoch + 1, state_reason = NULL
        WHERE id IN (SELECT id FROM vpn_gateways WHERE host_id IS NULL ORDER BY created_at
                     LIMIT GREATEST(0, $2 - (SELECT count(*) FROM vpn_gateways WHERE host_id = $1)) FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [hostId, capacity],
    );
    return returnedRows(rows).map((r) => r.id);
  }

  /**
   * Takes this host's share of the gateways whose host's lease expired (an equal share among the
   * live, uncordoned hosts, within its spare capacity). Rows another claimer holds are skipped,
   * each host walks the orphans in its own order, and every claimed gateway gets a new epoch and
   * a move record in the same statement.
   */
  async claimOrphaned(hostId: string, capacity: number): Promise<ClaimedGateway[]> {
    const [counts]: { orphans: string; live: string; mine: string }[] = await this.db.query(
      `SELECT (SELECT count(*) FROM vpn_gateways g JOIN gateway_hosts h ON h.id = g.host_id WHERE ${LEASE_EXPIRED}) AS orphans,
              (SELECT count(*) FROM gateway_hosts h WHERE ${PLACEABLE}) AS live,
              (SELECT count(*) FROM vpn_gateways WHERE host_id = $1) AS mine`,
      [hostId],
    );
    const share = claimShare(Number(counts.orphans), Number(counts.live), capacity - Number(counts.mine));
    if (share === 0) return [];
    return this.moveGateways(
      hostId,
      'lease_expired',
      share,
      `SELECT g.id, g.host_id FROM vpn_gateways g JOIN gateway_hosts h ON h.id = g.host_id
        WHERE ${LEASE_EXPIRED} ORDER BY md5(g.id || $1) LIMIT $2 FOR UPDATE OF g SKIP LOCKED`,
    );
  }

  /**
   * The gateway a drain would move next (claimDrained's choice, read without taking it), so this
   * host can prepare its copy while the draining host still serves it; null: none may move now.
   */
  async nextDrained(hostId: string, capacity: number): Promise<{ gatewayId: string; fromHostId: string } | null> {
    const rows: { gateway_id: string; from_host: string }[] = await this.db.query(
      `SELECT g.id AS gateway_id, h.id AS from_host FROM gateway_hosts h JOIN vpn_gateways g ON g.host_id = h.id
        WHERE h.drain_started_at IS NOT NULL AND h.id <> $1
          AND (SELECT count(*) FROM vpn_gateways WHERE host_id = $1) < $2
          AND NOT EXISTS (SELECT 1 FROM gateway_moves m WHERE m.reason = 'drain' AND m.from_host_id = h.id AND m.reconnected_at IS NULL AND m.moved_at > now() - interval '30 seconds')
        ORDER BY h.id, g.id LIMIT 1`,
      [hostId, capacity],
    );
    return rows[0] ? { gatewayId: rows[0].gateway_id, fromHostId: rows[0].from_host } : null;
  }

  /**
   * Drain: takes ONE gateway of a draining host (live or not; `gatewayId`: that one, if it is still
   * the draining host's), unless a drained gateway is still reconnecting somewhere (one at a time,
   * so a drain never costs more than one gateway's outage at once). The draining host's row lock
   * serializes the claimers.
   */
  async claimDrained(hostId: string, capacity: number, gatewayId: string | null = null): Promise<ClaimedGateway[]> {
    const [mine]: { n: string }[] = await this.db.query('SELECT count(*) AS n FROM vpn_gateways WHERE host_id = $1', [hostId]);
    if (Number(mine.n) >= capacity) return [];
    return this.db.transaction(async (m) => {
      const draining: { id: string }[] = await m.query(
        `SELECT id FROM gateway_hosts WHERE drain_started_at IS NOT NULL AND id <> $1 AND ($2::varchar IS NULL OR id = (SELECT host_id FROM vpn_gateways WHERE id = $2))
          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [hostId, gatewayId],
      );
      if (!draining.length) return [];
      const busy: unknown[] = await m.query(
        `SELECT 1 FROM gateway_moves WHERE reason = 'drain' AND from_host_id = $1 AND reconnected_at IS NULL AND moved_at > now() - interval '30 seconds'`,
        [draining[0].id],
      );
      if (busy.length) return [];
      return this.moveGateways(
        hostId,
        'drain',
        1,
        `SELECT g.id, g.host_id FROM vpn_gateways g WHERE g.host_id = $4 AND ($5::varchar IS NULL OR g.id = $5) ORDER BY g.id LIMIT $2 FOR UPDATE OF g SKIP LOCKED`,
        [draining[0].id, gatewayId],
        (q, p) => m.query(q, p),
      );
    });
  }

  /** Moves the gateways `pick` selects ($1 this host, $2 the limit, $4... `extra`) here, recording each move. */
  private async moveGateways(
    hostId: string,
    reason: GatewayMoveReason,
    limit: number,
    pick: string,
    extra: unknown[] = [],
    query: <Row>(sql: string, params: unknown[]) => Promise<Row[]> = (q, p) => this.db.query(q, p),
  ): Promise<ClaimedGateway[]> {
    const rows: { id: string; from_host: string | null; epoch: number; move_id: string }[] = await query(
      `WITH picked AS (${pick}),
            moved AS (UPDATE vpn_gateways g SET host_id = $1, host_epoch = g.host_epoch + 1 FROM picked WHERE g.id = picked.id
                      RETURNING g.id, picked.host_id AS from_host, g.host_epoch AS epoch),
            logged AS (INSERT INTO gateway_moves (gateway_id, from_host_id, to_host_id, reason, epoch)
                       SELECT id, from_host, $1, $3, epoch FROM moved RETURNING id AS move_id, gateway_id),
            -- Its tunnels are down until the new owner brings them up (the previous owner could not
            -- say so): a connected tunnel starts its routes' hold-down now, and its next connected_at
            -- is the reconnection's.
            reset AS (UPDATE vpn_tunnels t SET connection_state = 'connecting', connected_at = NULL, updated_at = now(),
                             disconnected_at = CASE WHEN t.connection_state = 'connected' THEN now() ELSE t.disconnected_at END,
                             state_changed_at = CASE WHEN t.connection_state <> 'connecting' THEN now() ELSE t.state_changed_at END
                        FROM moved WHERE t.gateway_id = moved.id AND t.connection_state <> 'connecting' RETURNING t.id)
       SELECT moved.id, moved.from_host, moved.epoch, logged.move_id, (SELECT count(*) FROM reset) AS reset
         FROM moved JOIN logged ON logged.gateway_id = moved.id`,
      [hostId, limit, reason, ...extra],
    );
    return rows.map((r) => ({ gatewayId: r.id, fromHostId: r.from_host, epoch: Number(r.epoch), moveId: String(r.move_id), reason }));
  }

  /** Of these gateways (present on this host), the ones it no longer owns: stale copies. */
  async notOwned(hostId: string, gatewayIds: string[]): Promise<string[]> {
    if (!gatewayIds.length) return [];
    const owned: { id: string }[] = await this.db.query('SELECT id FROM vpn_gateways WHERE id = ANY($1) AND host_id = $2', [gatewayIds, hostId]);
    const mine = new Set(owned.map((r) => r.id));
    return gatewayIds.filter((id) => !mine.has(id));
  }

  /**
   * A moved gateway's tunnels that connected again since the move and have no failover record yet
   * in their log: each gets one ("moved from host A to host B ...; reconnected in N s"). Returns
   * how many tunnels of the gateway are still not connected.
   */
  async recordReconnections(move: ClaimedGateway, fence: OwnershipFence): Promise<number> {
    const why = move.reason === 'drain' ? `while ${move.fromHostId ?? 'its host'} was drained` : `after ${move.fromHostId ?? 'its host'}'s lease expired`;
    const rows: { waiting: string }[] = await this.db.query(
      `WITH mv AS (SELECT moved_at FROM gateway_moves WHERE id = $1),
            fresh AS (SELECT t.id, extract(epoch FROM t.connected_at - mv.moved_at)::float8 AS secs FROM vpn_tunnels t, mv, vpn_gateways g
                       WHERE t.gateway_id = $2 AND g.id = t.gateway_id AND g.host_id = $3 AND g.host_epoch = $4
                         AND t.connection_state = 'connected' AND t.connected_at >= mv.moved_at
                         AND NOT EXISTS (SELECT 1 FROM tunnel_events e WHERE e.tunnel_id = t.id AND e.kind = 'failover' AND e.at >= mv.moved_at)),
            logged AS (INSERT INTO tunnel_events (tunnel_id, kind, result, reason_code, message)
                       SELECT id, 'failover', 'success', $5, 'The gateway moved from host ' || $6 || ' to host ' || $3 || ' ' || $7 || '; reconnected in ' || round(secs::numeric, 1) || ' s.' FROM fresh RETURNING 1)
       SELECT (SELECT count(*) FROM vpn_tunnels t WHERE t.gateway_id = $2 AND t.resource_state <> 'deleting' AND t.connection_state <> 'connected') AS waiting,
              (SELECT count(*) FROM logged) AS logged`,
      [
        move.moveId,
        move.gatewayId,
        fence.hostId,
        fence.epoch,
        move.reason === 'drain' ? 'gateway_drained' : 'host_lease_expired',
        move.fromHostId ?? '(none)',
        why,
      ],
    );
    return Number(rows[0]?.waiting ?? 0);
  }

  /**
   * Every tunnel of the moved gateway is connected again: the move's reconnection time is its last
   * tunnel's connected_at (not this call's time, which trails it by up to a lease tick).
   */
  async finishMove(moveId: string): Promise<void> {
    await this.db.query(
      `UPDATE gateway_moves m SET reconnected_at = coalesce(
         (SELECT max(t.connected_at) FROM vpn_tunnels t WHERE t.gateway_id = m.gateway_id AND t.connected_at >= m.moved_at), now())
        WHERE m.id = $1 AND m.reconnected_at IS NULL`,
      [moveId],
    );
  }

  gatewaysOfHost(hostId: string): Promise<VpnGateway[]> {
    return this.db.getRepository(VpnGateway).find({ where: { hostId }, order: { id: 'ASC' } });
  }

  gateway(id: string): Promise<VpnGateway | null> {
    return this.db.getRepository(VpnGateway).findOne({ where: { id } });
  }

  async placement(g: VpnGateway): Promise<SegmentPlacement> {
    const eip = await this.db.getRepository(ExternalIp).findOneByOrFail({ id: g.externalIpId });
    const vpc = await this.db.getRepository(Vpc).findOneByOrFail({ id: g.vpcId });
    const subnet = await this.db.getRepository(Subnet).findOneByOrFail({ id: g.subnetId });
    return {
      gatewayId: g.id,
      externalIp: eip.address,
      externalPrefixLength: eip.prefixLength,
      externalRouterIp: eip.routerIp ?? firstHost(`${eip.address}/${eip.prefixLength}`),
      vpcId: vpc.id,
      vpcCidr: vpc.cidr,
      subnetId: subnet.id,
      subnetCidr: subnet.cidr,
      subnetRouterIp: firstHost(subnet.cidr),
      privateIp: g.privateIp,
      vni: subnet.vni,
    };
  }

  async setGatewayState(id: string, state: VpnGateway['resourceState'], reason: string | null, fence?: OwnershipFence): Promise<void> {
    // Never over a delete or an expiry (billing) that landed while the worker was busy.
    await this.db
      .getRepository(VpnGateway)
      .update(
        { id, resourceState: Not(In(['deleting', 'expired'])), ...(fence ? { hostId: fence.hostId, hostEpoch: fence.epoch } : {}) },
        { resourceState: state, stateReason: reason },
      );
  }

  finishGatewayDeletion(id: string): Promise<void> {
    return this.db.transaction((m) => finalizeGatewayDeletion(m, id));
  }

  async finishTunnelDeletion(id: string): Promise<void> {
    const row: { vpc_id: string }[] = await this.db.query('SELECT g.vpc_id FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE t.id = $1', [
      id,
    ]);
    await this.db.transaction((m) => finalizeTunnelDeletion(m, id));
    if (row[0]) this.notifyRoutes(row[0].vpc_id);
  }

  /** Everything needed to configure charon for the gateway's tunnels (PSKs decrypted in memory). */
  async desiredTunnels(gatewayId: string, tunnelIds?: string[]): Promise<DesiredTunnel[]> {
    const byId = tunnelIds ? ' AND t.id = ANY($2)' : '';
    const rows: DesiredRow[] = await this.db.query(
      `${DESIRED_SELECT} WHERE t.gateway_id = $1${byId} ORDER BY t.id`,
      tunnelIds ? [gatewayId, tunnelIds] : [gatewayId],
    );
    return rows.map((r) => this.desiredOf(r));
  }

  /**
   * One tunnel and the gateway it belongs to, in one query (a job's first read: the tunnel's
   * gateway says which mutex to take, so no separate look-up of the gateway first). Null: deleted.
   * It is on every job's way to charon, so it is a prepared statement where the worker has them.
   */
  async desiredTunnel(tunnelId: string): Promise<{ gatewayId: string; desired: DesiredTunnel } | null> {
    const [row] = await this.prepared.query<DesiredRow>(`${DESIRED_SELECT} WHERE t.id = $1`, [tunnelId]);
    return row ? { gatewayId: row.gatewayId, desired: this.desiredOf(row) } : null;
  }

  private desiredOf(r: DesiredRow): DesiredTunnel {
    return {
      configVersion: r.configVersion,
      appliedVersion: r.appliedVersion,
      resourceState: r.resourceState,
      storedConnection: r.connectionState,
      render: toRenderable(r, (id) => r.subnetCidrs[id], this.secrets.open(r.pskSealed)),
    };
  }

  async markApplied(tunnelId: string, version: number, fence?: OwnershipFence): Promise<void> {
    await this.writeTunnels([{ kind: 'applied', tunnelId, version, fence }]);
  }

  async markTunnelError(tunnelId: string, version: number, message: string, fence?: OwnershipFence): Promise<void> {
    await this.writeTunnels([{ kind: 'config_error', tunnelId, version, message, fence }]);
  }

  /**
   * Returns false when the row moved on (newer version, deleted): the caller then stops reporting.
   * Leaving `connected` stamps disconnected_at (the routes' hold-down starts there) and clears
   * connected_at. Only entering or leaving `connected` changes the tunnel's routes, so only then are
   * the VPC's route agents told to look again: every other write (a retry's `connecting`, a failure
   * under `down`) would make each API replica re-read the whole VPC's routing for nothing, once per
   * try of every failing tunnel (docs/decisions.md, "Route notifications"). A failure is stamped with the
   * time the negotiator saw it (`at`: a write kept through a PostgreSQL outage lands later).
   * With `event`, the connection log's line about it is inserted by the same statement (as
   * recordEvent would, at `at`): one round trip, and no reader sees the state without its line.
   */
  async setConnection(
    tunnelId: string,
    version: number,
    state: ConnectionState,
    failure: StoredFailure | null,
    at: Date = new Date(),
    fence?: OwnershipFence,
    event?: TunnelEventInput,
  ): Promise<boolean> {
    return (await this.writeTunnels([{ kind: 'connection', tunnelId, version, state, failure, at, fence, event }])).has(tunnelId);
  }

  /**
   * A connected tunnel whose rekey failed (or recovered): the failure is shown beside `connected`,
   * since its SAs still carry traffic until they expire. Only while it is still connected.
   */
  async setDegraded(tunnelId: string, version: number, failure: StoredFailure | null, fence?: OwnershipFence): Promise<void> {
    await this.writeTunnels([{ kind: 'degraded', tunnelId, version, failure, fence }]);
  }

  /** Which subnet pairs have their CHILD_SA installed (IKEv1, one child per pair); routes follow them. */
  async setPairStates(tunnelId: string, version: number, pairs: PairState[] | null, fence?: OwnershipFence): Promise<void> {
    await this.writeTunnels([{ kind: 'pairs', tunnelId, version, pairs, fence }]);
  }

  /**
   * A line of the tunnel's connection log. A previous owner's late lines would interleave with the
   * new owner's: dropped (the ownership test is part of the INSERT). A tunnel deleted meanwhile
   * has no log to write to: nothing is written, which is fine. PostgreSQL being away is not fine:
   * the caller (the state writer) keeps the line and retries.
   */
  async recordEvent(tunnelId: string, e: TunnelEventInput, fence?: OwnershipFence): Promise<void> {
    await this.writeTunnels([{ kind: 'event', tunnelId, event: e, fence }]).catch((err) => {
      if (unavailableDependency(err)) throw err; // a deletion racing the INSERT (its FK) is not
    });
  }

  /**
   * Stores writes about tunnels: one statement per kind of write for all the tunnels at once (the
   * worker's state writer hands over hundreds when a host starts), so a cold start does not queue
   * thousands of round trips behind each other. Writes about one tunnel land in the order given
   * (a tunnel's second write goes in a later statement than its first). Every statement locks its
   * tunnels' rows in id order first, as the API's multi-tunnel transactions do: no deadlock
   * between them. Returns the tunnels whose row a write changed (see setConnection).
   */
  async writeTunnels(writes: readonly TunnelWrite[]): Promise<Set<string>> {
    const changed = new Set<string>();
    const routes = new Set<string>();
    for (const round of roundsOfDistinctTunnels(writes)) {
      for (const kind of TUNNEL_WRITE_KINDS) {
        const these = round.filter((w) => w.kind === kind);
        if (!these.length) continue;
        const rows: { id: string; vpc_id: string; routes: boolean }[] = returnedRows(
          await this.db.query(TUNNEL_WRITE_SQL[kind], [JSON.stringify(these.map(writeRecord))]),
        );
        for (const r of rows) {
          changed.add(r.id);
          if (r.routes) routes.add(r.vpc_id);
        }
      }
    }
    for (const vpcId of routes) this.notifyRoutes(vpcId);
    return changed;
  }

  hostIsRegistered(hostId: string): Promise<boolean> {
    return this.db.getRepository(GatewayHost).exists({ where: { id: hostId } });
  }

  unplacedCount(): Promise<number> {
    return this.db.getRepository(VpnGateway).count({ where: { hostId: IsNull() } });
  }
}

/** A gateway this host just took over, with its new epoch and the move's record. */
export interface ClaimedGateway {
  gatewayId: string;
  fromHostId: string | null;
  epoch: number;
  moveId: string;
  reason: GatewayMoveReason;
}

/** One write about one tunnel (NegotiationStore.writeTunnels); `fence`: only under that owner and epoch. */
export type TunnelWrite = { tunnelId: string; fence?: OwnershipFence } & (
  | { kind: 'applied'; version: number }
  | { kind: 'config_error'; version: number; message: string }
  | { kind: 'connection'; version: number; state: ConnectionState; failure: StoredFailure | null; at: Date; event?: TunnelEventInput }
  | { kind: 'degraded'; version: number; failure: StoredFailure | null }
  | { kind: 'pairs'; version: number; pairs: PairState[] | null }
  | { kind: 'event'; event: TunnelEventInput }
);
type TunnelWriteKind = TunnelWrite['kind'];

/** The writes in rounds where each tunnel appears at most once, its writes in the order given. */
function roundsOfDistinctTunnels(writes: readonly TunnelWrite[]): TunnelWrite[][] {
  const rounds: TunnelWrite[][] = [];
  const seen = new Map<string, number>();
  for (const w of writes) {
    const n = seen.get(w.tunnelId) ?? 0;
    seen.set(w.tunnelId, n + 1);
    (rounds[n] ??= []).push(w);
  }
  return rounds;
}

/** A write as one element of the JSON array the statements read with jsonb_to_recordset (RECORDS). */
function writeRecord(w: TunnelWrite): Record<string, unknown> {
  const base = { id: w.tunnelId, host_id: w.fence?.hostId ?? null, epoch: w.fence?.epoch ?? null };
  switch (w.kind) {
    case 'applied':
      return { ...base, version: w.version };
    case 'config_error':
      return { ...base, version: w.version, message: w.message.slice(0, 1000) };
    case 'connection':
      return { ...base, version: w.version, state: w.state, ...failureRecord(w.failure), at: w.at.toISOString(), ...(w.event ? eventRecord(w.event) : {}) };
    case 'degraded':
      return { ...base, version: w.version, ...failureRecord(w.failure) };
    case 'pairs':
      return { ...base, version: w.version, pairs: w.pairs };
    case 'event':
      return { ...base, ...eventRecord(w.event), at: w.event.at?.toISOString() ?? null };
  }
}

function failureRecord(f: StoredFailure | null): Record<string, unknown> {
  return { code: f?.code ?? null, message: f?.message.slice(0, 1000) ?? null, phase: f?.phase ?? null, tries: f?.tries ?? null };
}

function eventRecord(e: TunnelEventInput): Record<string, unknown> {
  return {
    e_kind: e.kind,
    e_result: e.result ?? null,
    e_phase: e.phase ?? null,
    e_reason: e.reasonCode ?? null,
    e_message: e.message?.slice(0, 1000) ?? null,
    e_version: e.configVersion ?? null,
    e_lines: (e.lines ?? []).slice(-200),
  };
}

/** The writes ($1, writeRecord's JSON array) as rows `i`, with their fence (host_id, epoch). */
const RECORDS = (columns: string) => `i AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id varchar, host_id varchar, epoch int, ${columns}))`;
const EVENT_RECORD = 'e_kind varchar, e_result varchar, e_phase int, e_reason varchar, e_message text, e_version int, e_lines text[]';
/**
 * `w`: the writes whose tunnel is there and whose fence holds, each with its gateway's VPC and
 * whether the tunnel was connected. With `lock`, the tunnels' rows are locked in id order first
 * (the API's multi-tunnel transactions lock in that order too: no deadlock), and `was_connected`
 * is read under the lock: the latest committed state, not this statement's snapshot, decides
 * whether the routes changed. The rows are found by primary key (`= ANY` of the ids) and joined
 * in memory: with the tables never analysed (a host's first start), a plan that joined the
 * writes to the gateways first looked up tunnels 62,500 times for 250 writes. The primary key is
 * the only index an `= ANY` on the id can use: the lists' trigram index is on lower(id) (migration
 * TunnelIdSearchIndex; on id itself, pg_trgm served equality too, 13 s a statement unanalysed).
 */
const TARGETS = (lock: boolean) => `locked AS MATERIALIZED (
      SELECT t.id, t.gateway_id, t.connection_state = 'connected' AS was_connected FROM vpn_tunnels t
       WHERE t.id = ANY (ARRAY(SELECT i.id FROM i))${lock ? ' ORDER BY t.id FOR UPDATE OF t' : ''}),
    gw AS MATERIALIZED (SELECT g.id, g.vpc_id, g.host_id, g.host_epoch FROM vpn_gateways g WHERE g.id = ANY (ARRAY(SELECT l.gateway_id FROM locked l))),
    w AS MATERIALIZED (
      SELECT i.*, l.was_connected, g.vpc_id FROM i JOIN locked l ON l.id = i.id JOIN gw g ON g.id = l.gateway_id
       WHERE i.host_id IS NULL OR (g.host_id = i.host_id AND g.host_epoch = i.epoch))`;
/** Each write's tunnel at the configuration version the write was made for. */
const SAME_VERSION = 'FROM w WHERE t.id = w.id AND t.config_version = w.version';
const LOG_LINES = (at: string) => `INSERT INTO tunnel_events (tunnel_id, kind, result, phase, reason_code, message, config_version, lines, at)
  SELECT w.id, w.e_kind, w.e_result, w.e_phase, w.e_reason, w.e_message, w.e_version, coalesce(w.e_lines, '{}'), ${at} FROM w WHERE w.e_kind IS NOT NULL`;

/** One statement per kind; each returns the rows it changed as (id, vpc_id, routes: whether the VPC's routes may have changed). */
export const TUNNEL_WRITE_SQL: Record<TunnelWriteKind, string> = {
  applied: `WITH ${RECORDS('version int')}, ${TARGETS(true)}
    UPDATE vpn_tunnels t SET applied_version = w.version, resource_state = 'running', pair_states = NULL, updated_at = now()
      ${SAME_VERSION} AND t.resource_state <> 'deleting'
    RETURNING t.id, w.vpc_id, false AS routes`,
  config_error: `WITH ${RECORDS('version int, message text')}, ${TARGETS(true)}
    UPDATE vpn_tunnels t SET resource_state = 'error', failure_code = 'config_rejected', failure_message = w.message, state_changed_at = now(), updated_at = now()
      ${SAME_VERSION} AND t.resource_state <> 'deleting'
    RETURNING t.id, w.vpc_id, false AS routes`,
  // With its event, the line goes in by the same statement (whatever the version: a log line).
  connection: `WITH ${RECORDS(`version int, state varchar, code varchar, message text, phase int, tries int, at timestamptz, ${EVENT_RECORD}`)}, ${TARGETS(true)},
    logged AS (${LOG_LINES('w.at')})
    UPDATE vpn_tunnels t SET connection_state = w.state, failure_code = w.code, failure_message = w.message, failure_phase = w.phase, failure_tries = w.tries,
           failure_at = CASE WHEN w.code IS NULL THEN NULL ELSE w.at END, updated_at = now(),
           connected_at = CASE WHEN w.state <> 'connected' THEN NULL
                               WHEN t.connection_state = 'connected' AND t.connected_at IS NOT NULL THEN t.connected_at ELSE w.at END,
           disconnected_at = CASE WHEN t.connection_state = 'connected' AND w.state <> 'connected' THEN w.at ELSE t.disconnected_at END,
           state_changed_at = CASE WHEN t.connection_state <> w.state OR t.failure_code IS DISTINCT FROM w.code THEN w.at ELSE t.state_changed_at END
      ${SAME_VERSION}
    RETURNING t.id, w.vpc_id, w.was_connected <> (w.state = 'connected') AS routes`,
  degraded: `WITH ${RECORDS('version int, code varchar, message text, phase int, tries int')}, ${TARGETS(true)}
    UPDATE vpn_tunnels t SET failure_code = w.code, failure_message = w.message, failure_phase = w.phase, failure_tries = w.tries,
           failure_at = CASE WHEN w.code IS NULL THEN NULL ELSE now() END, updated_at = now(),
           state_changed_at = CASE WHEN t.failure_code IS DISTINCT FROM w.code THEN now() ELSE t.state_changed_at END
      ${SAME_VERSION} AND t.connection_state = 'connected'
    RETURNING t.id, w.vpc_id, false AS routes`,
  pairs: `WITH ${RECORDS('version int, pairs jsonb')}, ${TARGETS(true)}
    UPDATE vpn_tunnels t SET pair_states = w.pairs, updated_at = now()
      ${SAME_VERSION}
    RETURNING t.id, w.vpc_id, true AS routes`,
  event: `WITH ${RECORDS(`at timestamptz, ${EVENT_RECORD}`)}, ${TARGETS(false)}
    ${LOG_LINES('coalesce(w.at, now())')}
    RETURNING tunnel_id AS id, NULL AS vpc_id, false AS routes`,
};
const TUNNEL_WRITE_KINDS = Object.keys(TUNNEL_WRITE_SQL) as TunnelWriteKind[];
