// What the worker reads from and writes to PostgreSQL. Writes about a tunnel's connection are
// guarded by its configVersion, so a late report from an older configuration never overwrites the
// state of a newer one.
import { DataSource, In, IsNull, Not } from 'typeorm';
import { firstHost } from '../common/cidr';
import { unavailableDependency } from '../common/dependency-errors';
import { SecretBox } from '../common/secret-box';
import { ExternalIp, Subnet, Vpc } from '../inventory/inventory.entities';
import { RenderableTunnel } from '../strongswan/tunnel-model';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { finalizeGatewayDeletion } from '../vpn/gateways/gateways.service';
import { ConnectionState } from '../vpn/states';
import { finalizeTunnelDeletion } from '../vpn/tunnels/tunnel-pairs';
import { toRenderable } from '../vpn/tunnels/renderable';
import { PairState, VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';
import { GatewayHost } from './gateway-host.entity';
import { SegmentPlacement } from './host/vxlan-network-driver';
import { TunnelEvent, TunnelEventKind } from './tunnel-event.entity';

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

export class NegotiationStore {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: SecretBox,
    /** Tells the API's route long-polls that a VPC's routes may have changed. */
    private readonly routesChanged: (vpcId: string) => Promise<void> = async () => undefined,
  ) {}

  /** Never awaited: a Redis outage must not hold up a state write (nor what follows it). */
  private notifyRoutes(vpcId: string): void {
    void this.routesChanged(vpcId).catch(() => undefined);
  }

  async heartbeat(hostId: string, hostname: string, capacity: number): Promise<void> {
    await this.db.query(
      `INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, capacity = EXCLUDED.capacity, last_seen_at = now()`,
      [hostId, hostname, capacity],
    );
  }

  /** Takes gateways that no host serves yet (created while no worker was up). */
  async claimUnplaced(hostId: string, capacity: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `UPDATE vpn_gateways SET host_id = $1, state_reason = NULL
        WHERE id IN (SELECT id FROM vpn_gateways WHERE host_id IS NULL ORDER BY created_at
                     LIMIT GREATEST(0, $2 - (SELECT count(*) FROM vpn_gateways WHERE host_id = $1)) FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [hostId, capacity],
    );
    return rows.map((r) => r.id);
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

  async setGatewayState(id: string, state: VpnGateway['resourceState'], reason: string | null): Promise<void> {
    // Never over a delete or an expiry (billing) that landed while the worker was busy.
    await this.db.getRepository(VpnGateway).update({ id, resourceState: Not(In(['deleting', 'expired'])) }, { resourceState: state, stateReason: reason });
  }

  finishGatewayDeletion(id: string): Promise<void> {
    return this.db.transaction((m) => finalizeGatewayDeletion(m, id));
  }

  async finishTunnelDeletion(id: string): Promise<void> {
    const row: { vpc_id: string }[] = await this.db.query('SELECT g.vpc_id FROM vpn_tunnels t JOIN vpn_gateways g ON g.id = t.gateway_id WHERE t.id = $1', [id]);
    await this.db.transaction((m) => finalizeTunnelDeletion(m, id));
    if (row[0]) this.notifyRoutes(row[0].vpc_id);
  }

  /** Everything needed to configure charon for the gateway's tunnels (PSKs decrypted in memory). */
  async desiredTunnels(gatewayId: string, tunnelIds?: string[]): Promise<DesiredTunnel[]> {
    const rows = await this.db
      .getRepository(VpnTunnel)
      .createQueryBuilder('t')
      .addSelect('t.psk_sealed', 't_psk_sealed')
      .innerJoinAndSelect('t.gateway', 'g')
      .innerJoinAndSelect('g.externalIp', 'eip')
      .innerJoinAndSelect('t.peer', 'p')
      .where('t.gateway_id = :gatewayId', { gatewayId })
      .andWhere(tunnelIds ? 't.id IN (:...ids)' : '1=1', { ids: tunnelIds?.length ? tunnelIds : [''] })
      .orderBy('t.id')
      .getMany();
    const subnetIds = [...new Set(rows.flatMap((t) => t.localSubnetIds))];
    const subnets = subnetIds.length ? await this.db.getRepository(Subnet).find({ where: { id: In(subnetIds) } }) : [];
    const cidrOf = new Map(subnets.map((s) => [s.id, s.cidr]));
    return rows.map((t) => ({
      configVersion: t.configVersion,
      appliedVersion: t.appliedVersion,
      resourceState: t.resourceState,
      storedConnection: t.connectionState,
      render: toRenderable(t, (id) => cidrOf.get(id), this.secrets.open(t.pskSealed)),
    }));
  }

  async markApplied(tunnelId: string, version: number): Promise<void> {
    await this.db.getRepository(VpnTunnel).update(
      { id: tunnelId, configVersion: version, resourceState: Not('deleting') },
      { appliedVersion: version, resourceState: 'running', pairStates: null },
    );
  }

  async markTunnelError(tunnelId: string, version: number, message: string): Promise<void> {
    await this.db.getRepository(VpnTunnel).update(
      { id: tunnelId, configVersion: version, resourceState: Not('deleting') },
      { resourceState: 'error', failureCode: 'config_rejected', failureMessage: message.slice(0, 1000), stateChangedAt: new Date() },
    );
  }

  /**
   * Returns false when the row moved on (newer version, deleted): the caller then stops reporting.
   * Leaving `connected` stamps disconnected_at (the routes' hold-down starts there) and clears
   * connected_at, and the VPC's route agents are told to look again. A failure is stamped with the
   * time the negotiator saw it (`at`: a write kept through a PostgreSQL outage lands later).
   */
  async setConnection(tunnelId: string, version: number, state: ConnectionState, failure: StoredFailure | null, at: Date = new Date()): Promise<boolean> {
    const rows: { vpc_id: string }[] = await this.db.query(
      `UPDATE vpn_tunnels t SET connection_state = $3::varchar, failure_code = $4, failure_message = $5, failure_phase = $6, failure_tries = $7,
              failure_at = CASE WHEN $4::varchar IS NULL THEN NULL ELSE $8::timestamptz END, updated_at = now(),
              connected_at = CASE WHEN $3::varchar <> 'connected' THEN NULL
                                  WHEN t.connection_state = 'connected' AND t.connected_at IS NOT NULL THEN t.connected_at ELSE $8::timestamptz END,
              disconnected_at = CASE WHEN t.connection_state = 'connected' AND $3::varchar <> 'connected' THEN $8::timestamptz ELSE t.disconnected_at END,
              state_changed_at = CASE WHEN t.connection_state <> $3::varchar OR t.failure_code IS DISTINCT FROM $4::varchar THEN $8::timestamptz ELSE t.state_changed_at END
         FROM vpn_gateways g
        WHERE t.id = $1 AND t.config_version = $2 AND g.id = t.gateway_id
        RETURNING g.vpc_id`,
      [tunnelId, version, state, failure?.code ?? null, failure?.message.slice(0, 1000) ?? null, failure?.phase ?? null, failure?.tries ?? null, at],
    );
    const updated = returnedRows(rows);
    if (!updated.length) return false;
    this.notifyRoutes(updated[0].vpc_id);
    return true;
  }

  /**
   * A connected tunnel whose rekey failed (or recovered): the failure is shown beside `connected`,
   * since its SAs still carry traffic until they expire. Only while it is still connected.
   */
  async setDegraded(tunnelId: string, version: number, failure: StoredFailure | null): Promise<void> {
    await this.db.query(
      `UPDATE vpn_tunnels SET failure_code = $3, failure_message = $4, failure_phase = $5, failure_tries = $6,
              failure_at = CASE WHEN $3::varchar IS NULL THEN NULL ELSE now() END, updated_at = now(),
              state_changed_at = CASE WHEN failure_code IS DISTINCT FROM $3::varchar THEN now() ELSE state_changed_at END
        WHERE id = $1 AND config_version = $2 AND connection_state = 'connected'`,
      [tunnelId, version, failure?.code ?? null, failure?.message.slice(0, 1000) ?? null, failure?.phase ?? null, failure?.tries ?? null],
    );
  }

  /** Which subnet pairs have their CHILD_SA installed (IKEv1, one child per pair); routes follow them. */
  async setPairStates(tunnelId: string, version: number, pairs: PairState[] | null): Promise<void> {
    const rows: { vpc_id: string }[] = await this.db.query(
      `UPDATE vpn_tunnels t SET pair_states = $3::jsonb, updated_at = now()
         FROM vpn_gateways g
        WHERE t.id = $1 AND t.config_version = $2 AND g.id = t.gateway_id
        RETURNING g.vpc_id`,
      [tunnelId, version, pairs === null ? null : JSON.stringify(pairs)],
    );
    const updated = returnedRows(rows);
    if (updated.length) this.notifyRoutes(updated[0].vpc_id);
  }

  async recordEvent(tunnelId: string, e: TunnelEventInput): Promise<void> {
    // A tunnel deleted meanwhile has no log to write to: the FK refuses, which is fine. PostgreSQL
    // being away is not fine: the caller (the state writer) keeps the event and retries.
    await this.db.getRepository(TunnelEvent).insert({
      tunnelId, kind: e.kind, result: e.result ?? null, phase: e.phase ?? null, reasonCode: e.reasonCode ?? null,
      message: e.message?.slice(0, 1000) ?? null, configVersion: e.configVersion ?? null, lines: (e.lines ?? []).slice(-200),
      ...(e.at ? { at: e.at } : {}),
    }).catch((err) => {
      if (unavailableDependency(err)) throw err;
    });
  }

  hostIsRegistered(hostId: string): Promise<boolean> {
    return this.db.getRepository(GatewayHost).exists({ where: { id: hostId } });
  }

  unplacedCount(): Promise<number> {
    return this.db.getRepository(VpnGateway).count({ where: { hostId: IsNull() } });
  }
}

/** TypeORM returns [rows, count] for UPDATE ... RETURNING on postgres. */
function returnedRows<T>(rows: T[]): T[] {
  return Array.isArray(rows[0]) ? (rows[0] as unknown as T[]) : rows;
}
