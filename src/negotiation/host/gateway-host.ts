// The gateway host runtime: for each VPN gateway on this host, a namespace plugged into the
// network by a driver and a supervised charon. The worker calls it; it knows nothing of tunnels.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { charonPaths, DataPlane, DEFAULT_CHARON_PATH, DEFAULT_GATEWAYS_DIR, RetransmitSettings } from './charon-config';
import { CharonProcess, defaultHostLogger, HostLogger } from './charon-process';
import { ensureNamespace, listNamespaces, namespaceExists, removeNamespace } from './gateway-namespace';
import { assertPlacement, GatewayNetworkDriver, GatewayPlacement } from './gateway-network';
import { gatewayNamespace } from './gateway-names';

export const GATEWAY_ID_PATTERN = /^vpngw-[A-Za-z0-9_-]+$/;
const PLACEMENT_FILE = 'placement.json';

export interface GatewayHostRuntimeOptions {
  network: GatewayNetworkDriver;
  baseDir?: string;
  charonPath?: string;
  dataPlane?: DataPlane;
  retransmit?: RetransmitSettings;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  restartBackoffMs?: readonly number[];
  logger?: HostLogger;
  // listLocalGateways also reports vpngw-* namespaces that have no directory under baseDir.
  // Off by default: on a shared machine (tests, a second worker with another baseDir) those are
  // someone else's gateways, and the reconciler would delete them. A directory is written before
  // the namespace is created and removed after it is deleted, so our own gateways always have one.
  claimForeignNamespaces?: boolean;
  // The host's tag (gateway-names hostTag): gateway namespaces are then `<gatewayId>.<tag>`, so another
  // host's copy of the same gateway on this machine (the lab) is a different namespace.
  hostTag?: string;
}

export type CharonRestartListener = (gatewayId: string) => void;
/** Every charon restart with its reason (a crash, or a wedged charon the worker replaced). */
export type CharonRestartNoticeListener = (gatewayId: string, reason: string) => void;

export class GatewayHostRuntime {
  private readonly baseDir: string;
  private readonly logger: HostLogger;
  private readonly charons = new Map<string, CharonProcess>();
  private readonly listeners = new Set<CharonRestartListener>();
  private readonly noticeListeners = new Set<CharonRestartNoticeListener>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: GatewayHostRuntimeOptions) {
    this.baseDir = options.baseDir ?? DEFAULT_GATEWAYS_DIR;
    this.logger = options.logger ?? defaultHostLogger;
  }

  // The namespace of this host's copy of the gateway.
  namespaceOf(gatewayId: string): string {
    return gatewayNamespace(gatewayId, this.options.hostTag);
  }

  // Idempotent: namespace, network attachment and a running charon; repairs what is missing. Only
  // for the gateway's current owner. `takeOver` (its first sync at the gateway's epoch): the
  // driver's attach takes the gateway's addresses over from any other copy; without, its repair
  // leaves every other copy alone (GatewayNetworkDriver).
  async ensureGateway(placement: GatewayPlacement, opts: { takeOver: boolean }): Promise<{ viciSocket: string }> {
    assertPlacement(placement);
    const id = placement.gatewayId;
    const ns = this.namespaceOf(id);
    return this.serialized(id, async () => {
      const recreated = !namespaceExists(ns);
      // Saved first, so that even a half-done attach can be detached by a later removeGateway.
      this.savePlacement(placement);
      if (recreated) await ensureNamespace(ns);
      const charon = this.charonFor(id);
      // A charon still running in a namespace that vanished serves nothing: start over.
      if (recreated && charon.isRunning()) await charon.stop();
      if (opts.takeOver) await this.options.network.attach(placement, ns);
      else await this.options.network.repair(placement, ns);
      await charon.start();
      return { viciSocket: charon.viciSocket };
    });
  }

  // A planned move's first half (make before break): the namespace, its legs built but not
  // plugged in (GatewayNetworkDriver.prepare) and a running charon, while the current owner still
  // serves the gateway. The move's second half is takeOverPrepared, by the gateway's new owner.
  async prepareGateway(placement: GatewayPlacement): Promise<{ viciSocket: string }> {
    assertPlacement(placement);
    const id = placement.gatewayId;
    const ns = this.namespaceOf(id);
    return this.serialized(id, async () => {
      const recreated = !namespaceExists(ns);
      this.savePlacement(placement);
      await ensureNamespace(ns);
      await this.options.network.prepare(placement, ns);
      const charon = this.charonFor(id);
      if (recreated && charon.isRunning()) await charon.stop();
      await charon.start();
      return { viciSocket: charon.viciSocket };
    });
  }

  // A planned move's second half, right after the claim, for a copy prepareGateway built: only the
  // network take-over (charon already runs with the connections loaded).
  async takeOverPrepared(placement: GatewayPlacement): Promise<{ viciSocket: string }> {
    const id = placement.gatewayId;
    return this.serialized(id, async () => {
      await this.options.network.takeOver(placement, this.namespaceOf(id));
      return { viciSocket: this.charonFor(id).viciSocket };
    });
  }

  // Stops charon, detaches, deletes the namespace and the gateway's directory. Works for a
  // gateway this process never started (found by listLocalGateways after a worker restart).
  async removeGateway(gatewayId: string): Promise<void> {
    assertGatewayId(gatewayId);
    await this.serialized(gatewayId, async () => {
      const charon = this.charonFor(gatewayId);
      await charon.stop();
      this.charons.delete(gatewayId);
      const placement = this.loadPlacement(gatewayId);
      if (placement) await this.options.network.detach(placement, this.namespaceOf(gatewayId));
      await removeNamespace(this.namespaceOf(gatewayId), { killProcesses: true });
      rmSync(charonPaths(this.baseDir, gatewayId).dir, { recursive: true, force: true });
    });
  }

  // Gateways present on this host: gateway directories under baseDir (with or without a
  // namespace) and, only with claimForeignNamespaces, every namespace named vpngw-*.
  async listLocalGateways(): Promise<string[]> {
    const found = new Set<string>();
    if (this.options.claimForeignNamespaces) {
      for (const n of await listNamespaces()) if (GATEWAY_ID_PATTERN.test(n)) found.add(n);
    }
    if (existsSync(this.baseDir)) {
      for (const entry of readdirSync(this.baseDir, { withFileTypes: true })) {
        if (entry.isDirectory() && GATEWAY_ID_PATTERN.test(entry.name)) found.add(entry.name);
      }
    }
    return [...found].sort();
  }

  // Fencing: unplugs the gateway's addresses first (nothing answers for them from here any more),
  // then stops its charon (its goodbyes cannot leave any more). Keeps the namespace and
  // the directory; the reconciler removes the copy once PostgreSQL says whether it is still ours.
  async fenceGateway(gatewayId: string): Promise<void> {
    assertGatewayId(gatewayId);
    const placement = this.loadPlacement(gatewayId);
    if (placement) await this.options.network.release(placement, this.namespaceOf(gatewayId));
    await this.serialized(gatewayId, async () => {
      await this.charonFor(gatewayId).stop();
      this.charons.delete(gatewayId);
    });
  }

  isCharonRunning(gatewayId: string): boolean {
    return this.charons.get(gatewayId)?.isRunning() ?? false;
  }

  viciSocketOf(gatewayId: string): string {
    return charonPaths(this.baseDir, gatewayId).viciSocket;
  }

  // Fires after the supervisor restarted a charon that died: its connections and secrets are gone
  // and must be loaded again. Returns an unsubscribe function.
  onCharonRestart(listener: CharonRestartListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Shutdown: stops every charon (SIGTERM, so peers are told) but keeps namespaces, links,
  // addresses and directories. A restarted worker's ensureGateway then finds the network in place
  // and only starts charon again; tearing the network down too would lengthen the outage and
  // churn the lab/host network for nothing. Gateways that are no longer wanted are removed by the
  // reconciler through listLocalGateways + removeGateway.
  async stopAll(): Promise<void> {
    const ids = [...this.charons.keys()];
    await Promise.all(ids.map((id) => this.serialized(id, async () => this.charons.get(id)?.stop())));
  }

  // Shutdown that leaves the data plane up: charons keep running with their SAs and the next
  // worker process takes them over (CharonProcess.adoptRunning). Used for a worker restart or upgrade.
  detachAll(): void {
    for (const charon of this.charons.values()) charon.detach();
    this.charons.clear();
  }

  onCharonRestartNotice(listener: CharonRestartNoticeListener): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  private charonFor(gatewayId: string): CharonProcess {
    let charon = this.charons.get(gatewayId);
    if (!charon) {
      charon = new CharonProcess({
        gatewayId,
        namespace: this.namespaceOf(gatewayId),
        baseDir: this.baseDir,
        charonPath: this.options.charonPath ?? DEFAULT_CHARON_PATH,
        dataPlane: this.options.dataPlane,
        retransmit: this.options.retransmit,
        startTimeoutMs: this.options.startTimeoutMs,
        stopTimeoutMs: this.options.stopTimeoutMs,
        restartBackoffMs: this.options.restartBackoffMs,
        logger: this.logger,
        onRestart: (id) => this.emitRestart(id),
        onRestartNotice: (id, reason) => {
          for (const listener of this.noticeListeners) listener(id, reason);
        },
      });
      this.charons.set(gatewayId, charon);
    }
    return charon;
  }

  private emitRestart(gatewayId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(gatewayId);
      } catch (e) {
        this.logger.error(`onCharonRestart listener failed for ${gatewayId}: ${(e as Error).message}`);
      }
    }
  }

  // The placement is kept beside the charon files so that a later worker process can detach a
  // gateway it knows only by id.
  private savePlacement(p: GatewayPlacement): void {
    const dir = charonPaths(this.baseDir, p.gatewayId).dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, PLACEMENT_FILE), `${JSON.stringify(p, null, 2)}\n`);
  }

  private loadPlacement(gatewayId: string): GatewayPlacement | null {
    try {
      return JSON.parse(readFileSync(join(charonPaths(this.baseDir, gatewayId).dir, PLACEMENT_FILE), 'utf8'));
    } catch {
      return null;
    }
  }

  // One operation at a time per gateway (a job and the reconciler may race on the same one).
  private serialized<T>(gatewayId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(gatewayId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.locks.set(gatewayId, tail);
    void tail.then(() => {
      if (this.locks.get(gatewayId) === tail) this.locks.delete(gatewayId);
    });
    return next;
  }
}

function assertGatewayId(id: string): void {
  if (!GATEWAY_ID_PATTERN.test(id)) throw new Error(`invalid gateway id '${id}' (expected vpngw-…)`);
}
