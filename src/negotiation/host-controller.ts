// Everything a gateway host does, whoever asks: a job, the reconciler or a charon restart.
// Desired state is read from PostgreSQL each time, so a duplicate, late or lost job is harmless.
import { DataSource } from 'typeorm';
import { describeError } from '../common/dependency-errors';
import { VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';
import { GatewayAgent } from './gateway-agent';
import { GatewayHostRuntime } from './host/gateway-host';
import { KeyedMutex } from './keyed-mutex';
import { NegotiationStore } from './negotiation-store';
import { RetryTimings } from './retry-policy';
import { TunnelStateStore } from './tunnel-negotiator';
import { probeTunnel, TunnelProbe } from './tunnel-probe';

export interface HostControllerOptions {
  hostId: string;
  capacity: number;
  db: DataSource;
  store: NegotiationStore;
  /** Where tunnel states and events are written without waiting (the worker's write-behind store). */
  tunnelStore?: TunnelStateStore;
  runtime: GatewayHostRuntime;
  timings: RetryTimings;
  initiateTimeoutMs: number;
  /** Gateways a reconcile pass syncs at the same time (default DEFAULT_RECONCILE_CONCURRENCY). */
  reconcileConcurrency?: number;
  log(message: string): void;
}

export const DEFAULT_RECONCILE_CONCURRENCY = 4;

export class HostController {
  private readonly agents = new Map<string, GatewayAgent>();
  private readonly mutex = new KeyedMutex();
  /** Shutting down: a reconcile cut short by it is not worth a line. */
  private stopping = false;

  constructor(private readonly o: HostControllerOptions) {
    o.runtime.onCharonRestart((gatewayId) => {
      o.log(`charon of ${gatewayId} restarted: reloading its tunnels`);
      void this.mutex.run(gatewayId, async () => {
        await this.agents.get(gatewayId)?.reloadAll();
      }).catch((err) => o.log(`reload of ${gatewayId} failed: ${(err as Error).message}`));
    });
    // A restart drops every SA of the gateway: each of its tunnels' logs says so, and why.
    o.runtime.onCharonRestartNotice((gatewayId, reason) => {
      o.log(`charon of ${gatewayId} restarted: ${reason}`);
      // Until its tunnels are reloaded, what fails against the old or new charon is not a failure
      // of theirs ("CHILD_SA config not found" from a charon that lost its config).
      this.agents.get(gatewayId)?.suspendAll();
      for (const tunnelId of this.agents.get(gatewayId)?.tunnelIds() ?? []) {
        void (o.tunnelStore ?? o.store).recordEvent(tunnelId, {
          kind: 'down', result: 'failure', reasonCode: 'charon_restarted',
          message: `The gateway's IKE daemon was restarted (${reason}); every tunnel of the gateway renegotiates.`,
        });
      }
    });
  }

  /** Provision or repair a gateway, then converge all its tunnels. */
  syncGateway(gatewayId: string): Promise<void> {
    return this.mutex.run(gatewayId, () => this.syncGatewayLocked(gatewayId));
  }

  private async syncGatewayLocked(gatewayId: string): Promise<void> {
    const g = await this.o.store.gateway(gatewayId);
    if (!g || g.hostId !== this.o.hostId) return this.forgetLocked(gatewayId);
    if (g.resourceState === 'deleting') return this.deleteGatewayLocked(gatewayId);
    if (g.resourceState === 'expired') return this.stopExpiredLocked(gatewayId);
    let agent = this.agents.get(gatewayId);
    try {
      const placement = await this.o.store.placement(g);
      const { viciSocket } = await this.o.runtime.ensureGateway(placement);
      if (!agent) {
        agent = new GatewayAgent({ gatewayId, privateIp: g.privateIp, subnetCidr: placement.subnetCidr, viciSocket, store: this.o.store, tunnelStore: this.o.tunnelStore, timings: this.o.timings, initiateTimeoutMs: this.o.initiateTimeoutMs, log: this.o.log });
        await agent.start();
        this.agents.set(gatewayId, agent);
      }
      if (g.resourceState !== 'running' || g.stateReason) await this.o.store.setGatewayState(gatewayId, 'running', null);
    } catch (err) {
      await this.o.store.setGatewayState(gatewayId, 'error', `provisioning failed: ${(err as Error).message}`.slice(0, 500));
      throw err; // BullMQ retries the job with back-off
    }
    const desired = await this.o.store.desiredTunnels(gatewayId);
    for (const d of desired.filter((t) => t.resourceState === 'deleting')) await this.deleteTunnelOn(agent, d.render.id);
    await agent.converge(desired.filter((t) => t.resourceState !== 'deleting'));
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
    if (!this.agents.has(gatewayId) && !(await this.o.runtime.listLocalGateways()).includes(gatewayId)) return;
    this.o.log(`gateway ${gatewayId} expired: stopping it`);
    await this.forgetLocked(gatewayId);
  }

  /** Stop serving a gateway here: close the agent, remove namespace and charon. */
  private async forgetLocked(gatewayId: string): Promise<void> {
    const agent = this.agents.get(gatewayId);
    this.agents.delete(gatewayId);
    await agent?.close();
    await this.o.runtime.removeGateway(gatewayId);
  }

  async syncTunnel(tunnelId: string): Promise<void> {
    const gatewayId = await this.gatewayOf(tunnelId);
    if (!gatewayId) return; // deleted meanwhile
    await this.mutex.run(gatewayId, async () => {
      const agent = this.agents.get(gatewayId);
      if (!agent) return this.syncGatewayLocked(gatewayId); // provisions and converges everything
      const [desired] = await this.o.store.desiredTunnels(gatewayId, [tunnelId]);
      if (!desired) return;
      if (desired.resourceState === 'deleting') return this.deleteTunnelOn(agent, tunnelId);
      await agent.applyTunnel(desired);
    });
  }

  async deleteTunnel(tunnelId: string): Promise<void> {
    const gatewayId = await this.gatewayOf(tunnelId);
    if (!gatewayId) return;
    await this.mutex.run(gatewayId, async () => {
      const agent = this.agents.get(gatewayId);
      await this.deleteTunnelOn(agent, tunnelId);
    });
  }

  /** The host's checks for a tunnel of a gateway served here (null: not served here, or deleted). */
  async diagnoseTunnel(tunnelId: string): Promise<TunnelProbe | null> {
    const gatewayId = await this.gatewayOf(tunnelId);
    if (!gatewayId || !this.agents.has(gatewayId)) return null;
    const [desired] = await this.o.store.desiredTunnels(gatewayId, [tunnelId]);
    if (!desired) return null;
    const runtime = this.o.runtime;
    return probeTunnel({ hostId: this.o.hostId, namespaceOf: (g) => runtime.namespaceOf(g), viciSocketOf: (g) => runtime.viciSocketOf(g), isCharonRunning: (g) => runtime.isCharonRunning(g) }, gatewayId, desired);
  }

  private async deleteTunnelOn(agent: GatewayAgent | undefined, tunnelId: string): Promise<void> {
    await agent?.removeTunnel(tunnelId);
    await this.o.store.finishTunnelDeletion(tunnelId);
  }

  private async gatewayOf(tunnelId: string): Promise<string | null> {
    const t = await this.o.db.getRepository(VpnTunnel).findOne({ where: { id: tunnelId }, select: { id: true, gatewayId: true } });
    return t?.gatewayId ?? null;
  }

  /**
   * Converge this host with PostgreSQL: claim unplaced gateways, sync every gateway placed here,
   * remove namespaces of gateways that are not (deleted while the worker was down).
   */
  async reconcile(): Promise<void> {
    await this.o.store.claimUnplaced(this.o.hostId, this.o.capacity);
    const mine = await this.o.store.gatewaysOfHost(this.o.hostId);
    const wanted = new Set(mine.map((g) => g.id));
    // Gateways converge independently (each under its own mutex key), a few at a time: one after
    // another, a host restart with 50 gateways spends most of its time waiting on `ip`, charon
    // start-up and PostgreSQL for one gateway while the CPU idles (bench/negotiation.ts).
    const queue = [...mine];
    const workers = Math.min(queue.length, Math.max(1, this.o.reconcileConcurrency ?? DEFAULT_RECONCILE_CONCURRENCY));
    await Promise.all(Array.from({ length: workers }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) {
        const id = g.id;
        await this.syncGateway(id).catch((err) => {
          if (!this.stopping) this.o.log(`reconcile ${id}: ${describeError(err)}`);
        });
      }
    }));
    for (const local of await this.o.runtime.listLocalGateways()) {
      if (!wanted.has(local)) await this.mutex.run(local, () => this.forgetLocked(local)).catch((err) => this.o.log(`cleanup ${local}: ${(err as Error).message}`));
    }
  }

  /** The gateways with a running agent on this host (the metrics collector's sources). */
  runningAgents(): GatewayAgent[] {
    return [...this.agents.values()];
  }

  /**
   * With `keepCharons` (a worker restart or upgrade) charons keep running with their SAs for the
   * next worker to take over; without, they are stopped (SIGTERM: peers are told).
   */
  async shutdown(opts: { keepCharons?: boolean } = {}): Promise<void> {
    this.stopping = true;
    for (const agent of this.agents.values()) await agent.close();
    this.agents.clear();
    if (opts.keepCharons) this.o.runtime.detachAll();
    else await this.o.runtime.stopAll();
  }
}
