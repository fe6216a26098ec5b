import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../../common/errors';
import { ID_PREFIX, newId } from '../../common/ids';
import type { TunnelExportRow, TunnelLogExportRow } from '../vpn-sheets';
import { ResolvedListQuery } from '../../common/list-query';
import { SECRET_BOX, SecretBox } from '../../common/secret-box';
import { Violation, violation } from '../../common/violations';
import { GenericPlans } from '../../database/generic-plans';
import { Subnet } from '../../inventory/subnet.entity';
import { JobDispatcher } from '../../jobs/job-dispatcher';
import { RoutesService } from '../../routes/routes.service';
import { defaultTemplateId } from '../../alerts/default-template.queries';
import { tenantFailureMessage } from '../tenant-reasons';
import { checkIkePolicy, checkIpsecPolicy, IkePolicy, IpsecPolicy } from '../../policy/policy';
import {
  checkInitiatorMode,
  checkOptionsEdit,
  checkPsk,
  checkTunnelSubnets,
  MAX_TUNNELS_PER_GATEWAY,
  MAX_TUNNELS_PER_PEER,
  remoteMustUpdate,
} from './tunnel-rules';
import { checkTunnelOptions } from '../../policy/tunnel-options';
import { tunnelLogPage } from './tunnel-log.queries';
import { CreateTunnelDto, TunnelListQueryDto, TunnelLogQueryDto, UpdateIkePolicyDto, UpdateSubnetsDto, UpdateTunnelOptionsDto } from './tunnel.dto';
import { VpnTunnel } from './vpn-tunnel.entity';
import { finalizeTunnelDeletion, SubnetRef, TunnelFilters, TunnelPage, TunnelPairs, TunnelQueries } from './tunnels.queries';
import type { TunnelViewColumns } from './tunnel-view';

/** An edit's outcome: the tunnel, and whether the remote device must load its new configuration. */
export interface TunnelEdit {
  tunnel: VpnTunnel;
  remoteMustUpdate: boolean;
}

@Injectable()
export class TunnelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    private readonly jobs: JobDispatcher,
    private readonly routes: RoutesService,
    private readonly plans: GenericPlans,
  ) {}

  async list(tenantId: string, q: ResolvedListQuery, f: TunnelListQueryDto): Promise<TunnelPage> {
    return new TunnelQueries(this.db).list(tenantId, q, f, this.plans);
  }

  /** Every tunnel the list would show, in its order, a page at a time: the Excel export's columns only (no PSK). */
  exportRows(tenantId: string, q: ResolvedListQuery, f: TunnelFilters): AsyncIterable<TunnelExportRow> {
    return new TunnelQueries(this.db).exportRows(tenantId, q, f);
  }

  async get(tenantId: string, id: string): Promise<VpnTunnel> {
    const tunnel = await new TunnelQueries(this.db).find(tenantId, id);
    if (!tunnel) throw new NotFound('VPN tunnel', id);
    return tunnel;
  }

  /** The plaintext key, for the detail endpoint on explicit request and for config rendering. */
  async revealPsk(tenantId: string, id: string): Promise<string> {
    const sealed = await new TunnelQueries(this.db).sealedPsk(tenantId, id);
    if (sealed === null) throw new NotFound('VPN tunnel', id);
    return this.secrets.open(sealed);
  }

  /** Subnet refs (id, name, cidr) of the given ids, for views. */
  subnetsById(ids: string[]): Promise<Map<string, Subnet>> {
    return new TunnelQueries(this.db).subnetsById(ids);
  }

  async logs(tenantId: string, id: string, q: TunnelLogQueryDto) {
    await this.get(tenantId, id);
    const page = await tunnelLogPage(this.db, id, q);
    // Configuration refusals carry the host's words: the tenant reads what it can act on.
    page.items = page.items.map(tenantLogEntry);
    return page;
  }

  /**
   * The connection log for Excel: every entry the log tab's filters select (collapsed or not),
   * newest first, read 200 at a time. The tunnel is checked first (a 404 before any byte of the
   * file); the window ends when the export starts, so entries logged meanwhile cannot shift the pages.
   */
  async logExportRows(tenantId: string, id: string, q: Omit<TunnelLogQueryDto, 'offset' | 'limit'>): Promise<AsyncIterable<TunnelLogExportRow>> {
    await this.get(tenantId, id);
    const window = { ...q, to: q.to ?? new Date().toISOString() };
    const db = this.db;
    return (async function* () {
      for (let offset = 0; ; offset += LOG_EXPORT_PAGE) {
        const page = await tunnelLogPage(db, id, { ...window, offset, limit: LOG_EXPORT_PAGE });
        for (const e of page.items) yield tenantLogEntry(e);
        if (page.items.length < LOG_EXPORT_PAGE) return;
      }
    })();
  }

  /**
   * The answer is built from the row as inserted and what the checks read, not read back: a re-read
   * after the job's dispatch took the API's CPU (two statements, TypeORM's hydration) while the
   * worker loaded the tunnel on the same cores.
   */
  async create(tenantId: string, dto: CreateTunnelDto): Promise<{ tunnel: TunnelViewColumns; subnets: Map<string, SubnetRef> }> {
    // A POST's time is on its tunnel's way to connected: what it checks is read in one round trip.
    const { gateway, peer } = await new TunnelQueries(this.db).creationContext(tenantId, dto.gatewayId, dto.peerId);
    const absent: Violation[] = [];
    if (!gateway) absent.push(violation('gatewayId', 'exists', dto.gatewayId, `VPN gateway ${dto.gatewayId} does not exist`));
    if (!peer) absent.push(violation('peerId', 'exists', dto.peerId, `peer gateway ${dto.peerId} does not exist`));
    if (absent.length) throw new ValidationFailed(absent);

    const vpc = gateway!.vpc;
    const subnets = checkTunnelSubnets(dto, vpc);
    const ike = checkIkePolicy(dto.ikePolicy ?? {}, { gatewayIp: gateway!.address, peerIp: peer!.ipAddress });
    const ipsec = checkIpsecPolicy(dto.ipsecPolicy ?? {});
    const mode = checkInitiatorMode(dto.initiatorMode, peer!.ipAddress);
    const options = checkTunnelOptions(dto);
    const problems = [
      ...(subnets.ok ? [] : subnets.violations),
      ...checkPsk(dto.psk),
      ...(ike.ok ? [] : ike.violations),
      ...(ipsec.ok ? [] : ipsec.violations),
      ...(mode.ok ? [] : mode.violations),
      ...(options.ok ? [] : options.violations),
    ];
    if (problems.length || !subnets.ok || !ike.ok || !ipsec.ok || !mode.ok || !options.ok) throw new ValidationFailed(problems);

    const id = newId(ID_PREFIX.tunnel);
    const stored = await this.db.transaction(async (m) => {
      const tx = new TunnelQueries(m);
      // Lock order gateway -> peer everywhere, so concurrent creates and deletes cannot deadlock.
      const g = await tx.lockGateway(gateway!.id);
      const p = await tx.lockPeer(peer!.id);
      // Deleted by a concurrent request after the checks above.
      if (!g)
        throw new Conflict('reference_deleted', `VPN gateway ${gateway!.id} was deleted while the tunnel was being created`, [
          violation('gatewayId', 'exists', gateway!.id, `VPN gateway ${gateway!.id} was just deleted`),
        ]);
      if (!p)
        throw new Conflict('reference_deleted', `peer gateway ${peer!.id} was deleted while the tunnel was being created`, [
          violation('peerId', 'exists', peer!.id, `peer gateway ${peer!.id} was just deleted`),
        ]);
      if (g.resourceState === 'deleting')
        throw new Conflict('gateway_deleting', `VPN gateway ${g.id} is being deleted`, [
          violation('gatewayId', 'gateway_usable', g.id, `VPN gateway ${g.id} is being deleted`),
        ]);
      if (g.resourceState === 'expired')
        throw new Conflict('gateway_expired', `VPN gateway ${g.id} has expired: renew it before adding tunnels`, [
          violation('gatewayId', 'gateway_usable', g.id, `VPN gateway ${g.id} has expired: renew it before adding tunnels`),
        ]);
      if (g.tunnelCount >= MAX_TUNNELS_PER_GATEWAY) {
        throw new Conflict('tunnel_limit', `VPN gateway ${g.id} already has ${MAX_TUNNELS_PER_GATEWAY} tunnels`, [
          violation('gatewayId', 'max_20_tunnels_per_gateway', g.id, `VPN gateway ${g.id} already has ${MAX_TUNNELS_PER_GATEWAY} tunnels, the maximum`),
        ]);
      }
      if (p.tunnelCount >= MAX_TUNNELS_PER_PEER) {
        throw new Conflict('tunnel_limit', `peer gateway ${p.id} already has ${MAX_TUNNELS_PER_PEER} tunnels`, [
          violation('peerId', 'max_20_tunnels_per_peer', p.id, `peer gateway ${p.id} already has ${MAX_TUNNELS_PER_PEER} tunnels, the maximum`),
        ]);
      }
      await tx.assertIdentityFree(g.id, p.ipAddress, ike.value);
      const row = await tx.insert({
        id,
        tenantId,
        name: dto.name,
        remark: dto.remark ?? '',
        gatewayId: g.id,
        peerId: p.id,
        localSubnetIds: subnets.value.localSubnetIds,
        remoteCidrs: subnets.value.remoteCidrs,
        pskSealed: this.secrets.seal(dto.psk as string),
        ikePolicy: ike.value,
        ipsecPolicy: ipsec.value,
        initiatorMode: mode.value,
        ...options.value,
        resourceState: 'creating',
        connectionState: 'connecting',
        configVersion: 1,
        appliedVersion: null,
        failureCode: null,
        failureMessage: null,
        alertTemplateId: await defaultTemplateId(m, tenantId),
        connectedAt: null,
        disconnectedAt: null,
      });
      await new TunnelPairs(m).claim(vpc.id, id, subnets.value);
      await tx.countOn(g.id, p.id);
      return row;
    });
    await this.jobs.dispatch(gateway!.hostId, 'tunnel.sync', { tunnelId: id, configVersion: 1 });
    return {
      tunnel: { ...stored, gatewayName: gateway!.name, gatewayIp: gateway!.address, peerName: peer!.name, peerIp: peer!.ipAddress },
      subnets: new Map(vpc.subnets.map((s) => [s.id, s])),
    };
  }

  async rename(tenantId: string, id: string, dto: { name?: string; remark?: string }): Promise<VpnTunnel> {
    const found = await new TunnelQueries(this.db).update(tenantId, id, {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.remark !== undefined && { remark: dto.remark }),
    });
    if (!found) throw new NotFound('VPN tunnel', id);
    return this.get(tenantId, id);
  }

  async updateSubnets(tenantId: string, id: string, dto: UpdateSubnetsDto): Promise<TunnelEdit> {
    return this.reconfigure(tenantId, id, async (m, t) => {
      const gateway = await new TunnelQueries(m).gateway(t.gatewayId);
      const vpc = await new TunnelQueries(this.db).vpcWithSubnets(gateway.vpcId);
      const checked = checkTunnelSubnets(dto, vpc);
      if (!checked.ok) throw new ValidationFailed(checked.violations);
      await new TunnelPairs(m).replace(vpc.id, t.id, checked.value);
      return { localSubnetIds: checked.value.localSubnetIds, remoteCidrs: checked.value.remoteCidrs };
    });
  }

  async updateIkePolicy(tenantId: string, id: string, dto: UpdateIkePolicyDto): Promise<TunnelEdit> {
    return this.reconfigure(tenantId, id, async (m, t) => {
      const { psk, ...policy } = dto;
      const tx = new TunnelQueries(m);
      const gateway = await tx.gateway(t.gatewayId, true);
      const peer = await tx.peer(t.peerId);
      // The body is the policy itself: its fields are named without the `ikePolicy.` prefix.
      const checked = checkIkePolicy(policy, { gatewayIp: gateway.externalIp!.address, peerIp: peer.ipAddress }, t.ikePolicy, '');
      const problems = [...(checked.ok ? [] : checked.violations), ...(psk === undefined ? [] : checkPsk(psk))];
      if (problems.length || !checked.ok) throw new ValidationFailed(problems);
      // The gateway's row is locked by reconfigure (the identity check needs that lock).
      await tx.assertIdentityFree(gateway.id, peer.ipAddress, checked.value, t.id, 'remoteId');
      return { ikePolicy: checked.value as IkePolicy, ...(psk !== undefined && { pskSealed: this.secrets.seal(psk as string) }) };
    });
  }

  async updateIpsecPolicy(tenantId: string, id: string, dto: Record<string, unknown>): Promise<TunnelEdit> {
    return this.reconfigure(tenantId, id, async (_m, t) => {
      const checked = checkIpsecPolicy(dto, t.ipsecPolicy, '');
      if (!checked.ok) throw new ValidationFailed(checked.violations);
      return { ipsecPolicy: checked.value as IpsecPolicy };
    });
  }

  /** Tunnel options (issue 16): initiator mode, DPD, fragmentation reconnect like an edit; the MSS clamp alone applies in place. */
  async updateOptions(tenantId: string, id: string, dto: UpdateTunnelOptionsDto): Promise<TunnelEdit> {
    return this.reconfigure(tenantId, id, async (m, t) => {
      const peer = await new TunnelQueries(m).peer(t.peerId);
      const edit = checkOptionsEdit(dto, t, peer.ipAddress);
      if (!edit.ok) throw new ValidationFailed(edit.violations);
      return edit.value.reconnect ? edit.value.patch : { ...edit.value.patch, [IN_PLACE]: true };
    });
  }

  /**
   * "Reconnect now": the same configuration as a new version, so the gateway's worker reloads it,
   * drops the tunnel's SAs and initiates at once (its retry timer, and any failure count, restart).
   * The version guards of the worker and the state writes then apply as for an edit; the remote's
   * configuration is unchanged (remoteMustUpdate false).
   */
  async reconnect(tenantId: string, id: string): Promise<TunnelEdit> {
    return this.reconfigure(tenantId, id, async () => ({}));
  }

  /** An edit of subnets, policies or options: new config version, back to `connecting`, a sync job (an IN_PLACE patch: only the row and a sync job). */
  private async reconfigure(
    tenantId: string,
    id: string,
    change: (m: EntityManager, t: VpnTunnel) => Promise<Partial<VpnTunnel> & { [IN_PLACE]?: true }>,
  ): Promise<TunnelEdit> {
    let hostId: string | null = null;
    let reconnected = false;
    let vpcId = '';
    let version = 0;
    let mustUpdate = false;
    await this.db.transaction(async (m) => {
      // The one lock order (gateway -> peer -> tunnel, as create and delete take them): the tunnel's
      // gateway first, then the tunnel. Locking the tunnel first deadlocked against a delete.
      const tx = new TunnelQueries(m);
      const ref = await tx.gatewayRef(tenantId, id);
      if (!ref) throw new NotFound('VPN tunnel', id);
      await tx.lockGateway(ref.gatewayId);
      const t = await tx.lockTunnel(tenantId, id);
      if (!t) throw new NotFound('VPN tunnel', id);
      if (t.resourceState === 'deleting') throw new Conflict('tunnel_deleting', `VPN tunnel ${id} is being deleted`);
      const { [IN_PLACE]: inPlace, ...patch } = await change(m, t);
      mustUpdate = remoteMustUpdate(t, patch);
      const gateway = await tx.gateway(t.gatewayId);
      hostId = gateway.hostId;
      vpcId = gateway.vpcId;
      if (inPlace) {
        // Nothing charon has changes: same version, the worker re-syncs the gateway's namespace.
        version = t.configVersion;
        await tx.update(tenantId, id, patch);
        return;
      }
      version = t.configVersion + 1;
      await tx.update(tenantId, id, {
        ...patch,
        configVersion: version,
        connectionState: 'connecting',
        failureCode: null,
        failureMessage: null,
        failurePhase: null,
        failureTries: null,
        failureAt: null,
        pairStates: null,
        connectedAt: null,
        ...((t.connectionState !== 'connecting' || t.failureCode) && { stateChangedAt: new Date() }),
        // Reconnecting after an edit starts the routes' hold-down rather than withdrawing them.
        ...(t.connectionState === 'connected' && { disconnectedAt: new Date() }),
      });
      reconnected = true;
    });
    await this.jobs.dispatch(hostId, 'tunnel.sync', { tunnelId: id, configVersion: version });
    if (reconnected) await this.routes.changed(vpcId);
    return { tunnel: await this.get(tenantId, id), remoteMustUpdate: mustUpdate };
  }

  /** All or nothing. Tunnels on a placed gateway go `deleting` and their host removes them. */
  async remove(tenantId: string, ids: string[]): Promise<{ deleted: string[]; deleting: string[] }> {
    const unique = [...new Set(ids)];
    const deleted: string[] = [];
    const deleting: { id: string; hostId: string | null }[] = [];
    const vpcIds = new Set<string>();
    await this.db.transaction(async (m) => {
      const tx = new TunnelQueries(m);
      const rows = await tx.withGateways(tenantId, unique);
      const notFound = unique.filter((id) => !rows.some((r) => r.id === id));
      if (notFound.length) {
        if (unique.length === 1) throw new NotFound('VPN tunnel', notFound[0]);
        throw new ValidationFailed(notFound.map((id) => violation('ids', 'exists', id, `VPN tunnel ${id} does not exist`)));
      }
      // Take every lock up front in the global order (gateways, then peers, each sorted by id).
      const gatewayIds = [...new Set(rows.map((t) => t.gatewayId))].sort();
      const peerIds = [...new Set(rows.map((t) => t.peerId))].sort();
      for (const gid of gatewayIds) await tx.lockGateway(gid);
      for (const pid of peerIds) await tx.lockPeer(pid);
      // Then the tunnels themselves, re-read under the locks: a concurrent delete may have won.
      const locked = await tx.lockTunnels(rows.map((r) => r.id));
      const gone = rows.filter((r) => !locked.some((l) => l.id === r.id));
      if (gone.length) {
        if (unique.length === 1) throw new NotFound('VPN tunnel', gone[0].id);
        throw new ValidationFailed(gone.map((t) => violation('ids', 'exists', t.id, `VPN tunnel ${t.id} does not exist`)));
      }
      for (const t of rows) vpcIds.add(t.gateway!.vpcId);
      for (const t of rows) {
        if (t.gateway!.hostId) {
          await tx.update(tenantId, t.id, { resourceState: 'deleting' });
          deleting.push({ id: t.id, hostId: t.gateway!.hostId });
        } else {
          await finalizeTunnelDeletion(m, t.id);
          deleted.push(t.id);
        }
      }
    });
    for (const t of deleting) await this.jobs.dispatch(t.hostId, 'tunnel.delete', { tunnelId: t.id });
    // Routes go at once, before charon has even torn the tunnel down.
    for (const vpcId of vpcIds) await this.routes.changed(vpcId);
    return { deleted, deleting: deleting.map((t) => t.id) };
  }
}

const LOG_EXPORT_PAGE = 200;

/** Marks a reconfigure patch that charon does not see (the MSS clamp): written without a new version or a reconnect. */
const IN_PLACE = Symbol('in place');

/** Configuration refusals carry the host's words: the tenant reads what it can act on. */
function tenantLogEntry<E extends { kind: string; result: string | null; message: string | null }>(e: E): E {
  return e.kind === 'config' && e.result === 'failure' ? { ...e, message: tenantFailureMessage('config_rejected', e.message) } : e;
}
