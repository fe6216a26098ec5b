// Everything a gateway host does, whoever asks: a job, the reconciler or a charon restart.
// Desired state is read from PostgreSQL each time, so a duplicate, late or lost job is harmless.
import { DataSource } from 'typeorm';
import { describeError } from '../common/dependency-errors';
import { GatewayNegotiator } from './gateway-negotiator';
import { GatewayHostRuntime } from './host/gateway-host';
import { GatewayPlacement } from './host/gateway-network';
import { preloadTunnels } from './tunnel-preload';
import { KeyedMutex } from './keyed-mutex';
import { OwnershipFence } from '../hosts/host-lease';
import { ClaimedGateway, NegotiationStore } from './negotiation.queries';
import { FencedStore } from './state-writer';
import { RetryTimings } from './retry-policy';
import { TunnelStateStore } from './tunnel-negotiator';
import { TunnelProbe } from '../jobs/job-catalogue';
import { probeTunnel } from './tunnel-probe';
import type { ViciLogger } from '../vici';
import { defaultReconcileConcurrency } from './worker-config';

export interface HostSupervisorOptions {
  hostId: string;
  capacity: number;
  db: DataSource;
  store: NegotiationStore;
  /**
   * Where a gateway's tunnel states and events are written under its ownership fence (the
   * worker's write-behind store); default straight to `store`.
   */
  tunnelStoreFor?: (fence: OwnershipFence) => TunnelStateStore;
  /**
   * Whether this host holds its lease (HostLease.isValid): a gateway's addresses are taken over only
   * while it does. Default: always (a single host without leases, the tests).
   */
  leaseValid?: () => boolean;
  runtime: GatewayHostRuntime;
  timings: RetryTimings;
  initiateTimeoutMs: number;
  /** Gateways a reconcile pass syncs at the same time (default DEFAULT_RECONCILE_CONCURRENCY). */
  reconcileConcurrency?: number;
  log(message: string): void;
  /** The gateways' VICI sessions: requests at debug (secrets redacted), failed event handlers at warn. */
  viciLogger?: ViciLogger;
}

export const DEFAULT_RECONCILE_CONCURRENCY = defaultReconcileConcurrency();
/** A moved gateway whose tunnels have not all reconnected by then is no longer watched. */
const MOVE_WATCH_MS = 5 * 60_000;

/** A gateway's negotiator on this host and the ownership it writes under. */
interface HeldNegotiator {
  negotiator: GatewayNegotiator;
  fence: OwnershipFence;
}

/** A sync that found, after the driver, that this host may no longer serve the gateway. */
class ServingLost extends Error {}

export class HostSupervisor {
  private readonly negotiators = new Map<string, HeldNegotiator>();
  /** Gateways this host took over, until every tunnel connected again (their logs get the failover). */
  private readonly moves = new Map<string, { move: ClaimedGateway; since: number }>();
  private readonly mutex = new KeyedMutex();
  /** Copies dropMovedAway is unplugging and removing (reconcile leaves them to it). */
  private readonly removing = new Set<string>();
  /** Shutting down: a reconcile cut short by it is not worth a line. */
  private stopping = false;
  /** A drain's planned move is under way here (one at a time). */
  private handingOver = false;

  constructor(private readonly o: HostSupervisorOptions) {
    o.runtime.onCharonRestart((gatewayId) => {
      o.log(`charon of ${gatewayId} restarted: reloading its tunnels`);
      void this.mutex
        .run(gatewayId, async () => {
          await this.negotiators.get(gatewayId)?.negotiator.reloadAll();
        })
        .catch((err) => o.log(`reload of ${gatewayId} failed: ${(err as Error).message}`));
    });
    // A restart drops every SA of the gateway: each of its tunnels' logs says so, and why.
    o.runtime.onCharonRestartNotice((gatewayId, reason) => {
      o.log(`charon of ${gatewayId} restarted: ${reason}`);
      // Until its tunnels are reloaded, what fails against the old or new charon is not a failure
      // of theirs ("CHILD_SA config not found" from a charon that lost its config).
      const held = this.negotiators.get(gatewayId);
      held?.negotiator.suspendAll();
      for (const tunnelId of held?.negotiator.tunnelIds() ?? []) {
        void this.tunnelStoreFor(held!.fence).recordEvent(tunnelId, {
          kind: 'down',
          result: 'failure',
          reasonCode: 'charon_restarted',
          message: `The gateway's IKE daemon was restarted (${reason}); every tunnel of the gateway renegotiates.`,
        });
      }
    });
  }

  private tunnelStoreFor(fence: OwnershipFence): TunnelStateStore {
    return this.o.tunnelStoreFor ? this.o.tunnelStoreFor(fence) : new FencedStore(this.o.store, fence);
  }

  private leaseValid(): boolean {
    return this.o.leaseValid ? this.o.leaseValid() : true;
  }

  /** Provision or repair a gateway, then converge all its tunnels. */
  syncGateway(gatewayId: string): Promise<void> {
    return this.mutex.run(gatewayId, () => this.syncGatewayLocked(gatewayId));
  }

  /** `prepared`: the placement of a copy prepareGateway built for a drain's move; only the take-over remains. */
  private async syncGatewayLocked(gatewayId: string, prepared?: GatewayPlacement): Promise<void> {
    const g = await this.o.store.gateway(gatewayId);
    if (!g || g.hostId !== this.o.hostId) {
      if (this.negotiators.has(gatewayId)) this.o.log(`gateway ${gatewayId} is ${g ? 'no longer placed here' : 'gone'}: removing this host's copy`);
      return this.forgetLocked(gatewayId);
    }
    if (g.resourceState === 'deleting') return this.deleteGatewayLocked(gatewayId);
    if (g.resourceState === 'expired') return this.stopExpiredLocked(gatewayId);
    // Without a valid lease this host must not take the gateway's addresses (another host may
    // own it by now): the next sync after a renewal does.
    if (!this.leaseValid()) throw new Error(`not serving ${gatewayId}: this host's lease is not valid`);
    const fence: OwnershipFence = { hostId: this.o.hostId, epoch: g.hostEpoch };
    let held = this.negotiators.get(gatewayId);
    if (held && held.fence.epoch !== fence.epoch) {
      // Moved away and back: the old negotiator writes under a stale epoch.
      this.negotiators.delete(gatewayId);
      await held.negotiator.close();
      held = undefined;
    }
    try {
      const placement = prepared ?? (await this.o.store.placement(g));
      // Only this host's first sync at the gateway's epoch takes its addresses over (other copies
      // unplugged, this one plugged and announced): the owner read above may be stale by the
      // attach (a drain's claimer may just have taken the gateway over), and a later sync's
      // take-over would unplug the new owner's copy. Later syncs only repair this host's copy.
      const { viciSocket } = prepared ? await this.o.runtime.takeOverPrepared(placement) : await this.o.runtime.ensureGateway(placement, { takeOver: !held });
      await this.stillServing(gatewayId, held);
      if (!held) {
        const negotiator = new GatewayNegotiator({
          gatewayId,
          namespace: this.o.runtime.namespaceOf(gatewayId),
          privateIp: g.privateIp,
          subnetCidr: placement.subnetCidr,
          viciSocket,
          store: this.o.store,
          tunnelStore: this.tunnelStoreFor(fence),
          timings: this.o.timings,
          initiateTimeoutMs: this.o.initiateTimeoutMs,
          log: this.o.log,
          viciLogger: this.o.viciLogger,
        });
        await negotiator.start();
        await this.stillServing(gatewayId, undefined).catch(async (err) => {
          await negotiator.close();
          throw err;
        });
        held = { negotiator, fence };
        this.negotiators.set(gatewayId, held);
      }
      if (g.resourceState !== 'running' || g.stateReason) await this.o.store.setGatewayState(gatewayId, 'running', null, fence);
    } catch (err) {
      if (!(err instanceof ServingLost)) {
        await this.o.store.setGatewayState(gatewayId, 'error', `provisioning failed: ${(err as Error).message}`.slice(0, 500), fence);
      }
      throw err; // BullMQ retries the job with back-off
    }
    const negotiator = held.negotiator;
    const desired = await this.o.store.desiredTunnels(gatewayId);
    for (const d of desired.filter((t) => t.resourceState === 'deleting')) await this.deleteTunnelOn(negotiator, d.render.id);
    await negotiator.converge(
      desired.filter((t) => t.resourceState !== 'deleting'),
      { routesInPlace: !!prepared },
    );
  }

  /**
   * A fence (fenceAll: the lease lapsed) or a move away (dropMovedAway) does not wait for the
   * gateway's mutex, so it may run while a sync is between its lease check and the driver: that
   * sync would then plug the copy in again (and register a negotiator) on a host that must not
   * serve it. So after the driver, and before a negotiator is registered, the sync checks again
   * that the lease is valid and that nothing took its negotiator meanwhile; if not, it unplugs
   * what it just plugged and gives up (not an error of the gateway: the next sync decides).
   */
  private async stillServing(gatewayId: string, held: HeldNegotiator | undefined): Promise<void> {
    if (this.leaseValid() && this.negotiators.get(gatewayId) === held) return;
    await this.o.runtime.fenceGateway(gatewayId);
    throw new ServingLost(`not serving ${gatewayId}: this host's lease lapsed or the gateway left it during the sync; its copy is unplugged again`);
  }

  deleteGateway(gatewayId: string): Promise<void> {
    return this.mutex.run(gatewayId, () => this.deleteGatewayLocked(gatewayId));
  }

  private async deleteGatewayLocked(gatewayId: string): Promise<void> {
    const g = await this.o.store.gateway(gatewayId);
    await this.forgetLocked(gatewayId);
    if (g && g.hostId === this.o.hostId && g.resourceState === 'deleting') await this.o.store.finishGatewayDeletion(gatewayId);
  }

  /**
   * Billing stopped the gateway: its tunnels go down with its charon and namespace (the row, its
   * addresses and tunnels stay; a renewal makes it `creating` and the next sync provisions it
   * again). Only touches the host when something is still running there.
   */
  private async stopExpiredLocked(gatewayId: string): Promise<void> {
    if (!this.negotiators.has(gatewayId) && !(await this.o.runtime.listLocalGateways()).includes(gatewayId)) return;
    this.o.log(`gateway ${gatewayId} expired: stopping it`);
    await this.forgetLocked(gatewayId);
  }

  /** Stop serving a gateway here: close the negotiator, remove namespace and charon. */
  private async forgetLocked(gatewayId: string): Promise<void> {
    const held = this.negotiators.get(gatewayId);
    this.negotiators.delete(gatewayId);
    this.moves.delete(gatewayId);
    await held?.negotiator.close();
    await this.o.runtime.removeGateway(gatewayId);
  }

  async syncTunnel(tunnelId: string): Promise<void> {
    // One statement reads the tunnel and names its gateway (the mutex key). It is used under the
    // mutex only when no gateway task started since it was read; otherwise it is read again there,
    // so a job that waited never applies what an earlier task may have superseded.
    const startsBefore = this.mutex.started;
    const first = await this.o.store.desiredTunnel(tunnelId);
    if (!first) return; // deleted meanwhile
    const { gatewayId } = first;
    await this.mutex.run(gatewayId, async () => {
      const negotiator = this.negotiators.get(gatewayId)?.negotiator;
      if (!negotiator) return this.syncGatewayLocked(gatewayId); // provisions and converges everything
      const fresh = this.mutex.started === startsBefore + 1 ? first : await this.o.store.desiredTunnel(tunnelId);
      const desired = fresh?.desired;
      if (!desired) return;
      if (desired.resourceState === 'deleting') return this.deleteTunnelOn(negotiator, tunnelId);
      await negotiator.applyTunnel(desired);
    });
  }

  async deleteTunnel(tunnelId: string): Promise<void> {
    const gatewayId = await this.gatewayOf(tunnelId);
    if (!gatewayId) return;
    await this.mutex.run(gatewayId, async () => {
      await this.deleteTunnelOn(this.negotiators.get(gatewayId)?.negotiator, tunnelId);
    });
  }

  /** The host's checks for a tunnel of a gateway served here (null: not served here, or deleted). */
  async diagnoseTunnel(tunnelId: string): Promise<TunnelProbe | null> {
    const gatewayId = await this.gatewayOf(tunnelId);
    if (!gatewayId || !this.negotiators.has(gatewayId)) return null;
    const [desired] = await this.o.store.desiredTunnels(gatewayId, [tunnelId]);
    if (!desired) return null;
    const runtime = this.o.runtime;
    return probeTunnel(
      {
        hostId: this.o.hostId,
        namespaceOf: (g) => runtime.namespaceOf(g),
        viciSocketOf: (g) => runtime.viciSocketOf(g),
        isCharonRunning: (g) => runtime.isCharonRunning(g),
      },
      gatewayId,
      desired,
    );
  }

  private async deleteTunnelOn(negotiator: GatewayNegotiator | undefined, tunnelId: string): Promise<void> {
    await negotiator?.removeTunnel(tunnelId);
    await this.o.store.finishTunnelDeletion(tunnelId);
  }

  private async gatewayOf(tunnelId: string): Promise<string | null> {
    return this.o.store.gatewayOfTunnel(tunnelId);
  }

  /**
   * Converge this host with PostgreSQL: remove copies of gateways that are not placed here (moved
   * to another host, deleted while the worker was down) BEFORE serving anything, claim unplaced
   * gateways (with `claim`: not when cordoned), sync every gateway placed here.
   */
  async reconcile(opts: { claim?: boolean } = {}): Promise<void> {
    if (!this.leaseValid()) return;
    if (opts.claim ?? true) await this.o.store.claimUnplaced(this.o.hostId, this.o.capacity);
    const mine = await this.o.store.gatewaysOfHost(this.o.hostId);
    const wanted = new Set(mine.map((g) => g.id));
    for (const local of await this.o.runtime.listLocalGateways()) {
      if (wanted.has(local) || this.removing.has(local)) continue;
      // Asked again under the gateway's mutex: a drain's copy being prepared (or just taken over)
      // is not placed here when `mine` was read, and must not be removed.
      await this.mutex
        .run(local, async () => {
          const g = await this.o.store.gateway(local);
          if (g?.hostId === this.o.hostId) return;
          // Its legs are unplugged already (a fence, a claimer's take-over, dropMovedAway) or were never plugged.
          this.o.log(`gateway ${local} is ${g ? 'placed on another host' : 'gone'}: removing this host's stale copy`);
          await this.forgetLocked(local);
        })
        .catch((err) => this.o.log(`cleanup ${local}: ${(err as Error).message}`));
    }
    await this.syncAll(mine.map((g) => g.id));
  }

  // Gateways converge independently (each under its own mutex key), a few at a time: one after
  // another, a host restart with 50 gateways spends most of its time waiting on `ip`, charon
  // start-up and PostgreSQL for one gateway while the CPU idles (bench/negotiation.ts).
  private async syncAll(ids: string[], concurrency = this.o.reconcileConcurrency ?? DEFAULT_RECONCILE_CONCURRENCY): Promise<void> {
    const queue = [...ids];
    const workers = Math.min(queue.length, Math.max(1, concurrency));
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const gatewayId = id;
          await this.syncGateway(gatewayId).catch((err) => {
            if (!this.stopping) this.o.log(`sync ${gatewayId}: ${describeError(err)}`);
          });
        }
      }),
    );
  }

  /**
   * One lease tick (the lease was just renewed): drop copies of gateways that moved away, take
   * (unless `cordoned`) this host's share of the gateways of hosts whose lease expired and one
   * gateway of a draining host, serve them, and log reconnections of gateways moved here.
   */
  async leaseTick(opts: { cordoned: boolean }): Promise<void> {
    if (!this.leaseValid() || this.stopping) return;
    await this.dropMovedAway();
    // A cordoned (or draining) host takes nothing new, moved gateways included.
    const claimed = opts.cordoned ? [] : await this.o.store.claimOrphaned(this.o.hostId, this.o.capacity);
    for (const c of claimed) this.movedHere(c);
    // Not awaited: a tick must not wait for provisioning (the next tick renews the lease meanwhile).
    if (claimed.length)
      void this.syncAll(
        claimed.map((c) => c.gatewayId),
        Math.max(8, this.o.reconcileConcurrency ?? DEFAULT_RECONCILE_CONCURRENCY),
      );
    if (!opts.cordoned && !this.handingOver) {
      this.handingOver = true;
      void this.takeDrained()
        .catch((err) => {
          if (!this.stopping) this.o.log(`drain hand-over: ${describeError(err)}`);
        })
        .finally(() => (this.handingOver = false));
    }
    await this.watchMoves();
  }

  private movedHere(c: ClaimedGateway): void {
    this.o.log(
      `gateway ${c.gatewayId} moved here from ${c.fromHostId ?? '(none)'} (${c.reason === 'drain' ? 'drain' : 'its lease expired'}), epoch ${c.epoch}`,
    );
    this.moves.set(c.gatewayId, { move: c, since: Date.now() });
  }

  /**
   * A drain's planned move, make before break: this host builds its copy of the draining host's
   * next gateway (namespace, legs not plugged in, charon with the tunnels' connections and secrets
   * loaded) while the draining host still serves it; only then does it claim the gateway (a new
   * epoch) and take it over (the driver unplugs the old copy, plugs this one; the tunnels initiate
   * at once). A gateway that is not running moves without preparation. Lost the claim (another
   * host took it, the drain was cancelled): the prepared copy is removed, nothing was plugged.
   */
  private async takeDrained(): Promise<void> {
    const next = await this.o.store.nextDrained(this.o.hostId, this.o.capacity);
    if (!next) return;
    await this.mutex.run(next.gatewayId, async () => {
      const started = Date.now();
      const g = await this.o.store.gateway(next.gatewayId);
      if (!g || g.hostId !== next.fromHostId) return;
      let prepared: GatewayPlacement | undefined;
      if (g.resourceState === 'running') {
        try {
          const placement = await this.o.store.placement(g);
          const { viciSocket } = await this.o.runtime.prepareGateway(placement);
          await preloadTunnels(
            { namespace: this.o.runtime.namespaceOf(g.id), viciSocket, privateIp: g.privateIp, subnetCidr: placement.subnetCidr },
            await this.o.store.desiredTunnels(g.id),
          );
          prepared = placement;
        } catch (err) {
          this.o.log(`preparing ${g.id} before its move failed (${describeError(err)}): it moves unprepared`);
        }
      }
      // Said in the take-over's line: a copy is prepared only for a gateway that runs.
      const unpreparedBecause = prepared
        ? ''
        : g.resourceState === 'running'
          ? ' (its preparation failed)'
          : ` (it was ${g.resourceState}${g.stateReason ? `: ${g.stateReason}` : ''})`;
      const preparedMs = Date.now() - started;
      if (!this.leaseValid()) return this.o.runtime.removeGateway(g.id);
      const [claim] = await this.o.store.claimDrained(this.o.hostId, this.o.capacity, g.id);
      if (!claim) return this.o.runtime.removeGateway(g.id);
      this.movedHere(claim);
      const movedAt = Date.now();
      await this.syncGatewayLocked(g.id, prepared);
      this.o.log(
        `gateway ${g.id} taken over from ${next.fromHostId}: ${prepared ? `prepared in ${preparedMs} ms while it served there, ` : `not prepared${unpreparedBecause}, `}serving here (plugged in, tunnels initiating) ${Date.now() - movedAt} ms after the move`,
      );
    });
  }

  /**
   * Unplugs (at once) and removes the copies here of gateways PostgreSQL places elsewhere now (a
   * drain, a failover while this host was away); resolves once every unplug has started.
   */
  async dropMovedAway(): Promise<void> {
    const present = [...this.negotiators.keys()];
    for (const id of await this.o.store.notOwned(this.o.hostId, present)) {
      // A concurrent call (a lease tick beside the ownership check after a revival) took it already.
      if (!this.negotiators.has(id) || this.removing.has(id)) continue;
      this.o.log(`gateway ${id} is no longer placed here (moved away): unplugging and removing this host's copy`);
      const held = this.negotiators.get(id);
      this.negotiators.delete(id);
      this.removing.add(id);
      // Unplugged at once, not after whatever holds the gateway's mutex (a sync, a negotiation step).
      void this.o.runtime
        .fenceGateway(id)
        .then(() => held?.negotiator.close())
        .then(() => this.mutex.run(id, () => this.forgetLocked(id)))
        .catch((err) => this.o.log(`cleanup ${id}: ${(err as Error).message}`))
        .finally(() => this.removing.delete(id));
    }
  }

  private async watchMoves(): Promise<void> {
    for (const [gatewayId, { move, since }] of [...this.moves]) {
      const held = this.negotiators.get(gatewayId);
      if (!held) continue; // still being provisioned
      const waiting = await this.o.store.recordReconnections(move, held.fence);
      if (waiting === 0) {
        await this.o.store.finishMove(move.moveId);
        this.o.log(`gateway ${gatewayId}: every tunnel connected again ${((Date.now() - since) / 1000).toFixed(1)} s after the move`);
        this.moves.delete(gatewayId);
      } else if (Date.now() - since > MOVE_WATCH_MS) this.moves.delete(gatewayId);
    }
  }

  /**
   * The lease lapsed: stop serving every gateway at once, without PostgreSQL or Redis. Addresses
   * are unplugged first, then charons stopped; namespaces stay until the reconciler learns (after
   * a renewal) which gateways are still ours. Not under the gateways' mutexes: a sync stuck on a
   * dead PostgreSQL must not delay the fence (a sync that gets past the driver checks again: stillServing).
   */
  async fenceAll(): Promise<void> {
    const ids = new Set([...this.negotiators.keys(), ...(await this.o.runtime.listLocalGateways())]);
    const held = [...this.negotiators.values()];
    this.negotiators.clear();
    await Promise.all([...ids].map((id) => this.o.runtime.fenceGateway(id).catch((err) => this.o.log(`fence ${id}: ${(err as Error).message}`))));
    await Promise.all(held.map((h) => h.negotiator.close().catch(() => undefined)));
  }

  /** The gateways with a running negotiator on this host (the metrics collector's sources). */
  runningNegotiators(): GatewayNegotiator[] {
    return [...this.negotiators.values()].map((h) => h.negotiator);
  }

  /**
   * With `keepCharons` (a worker restart or upgrade) charons keep running with their SAs for the
   * next worker to take over; without, they are stopped (SIGTERM: peers are told).
   */
  async shutdown(opts: { keepCharons?: boolean } = {}): Promise<void> {
    this.stopping = true;
    for (const held of this.negotiators.values()) await held.negotiator.close();
    this.negotiators.clear();
    if (opts.keepCharons) this.o.runtime.detachAll();
    else await this.o.runtime.stopAll();
  }
}
