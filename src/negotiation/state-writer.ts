// Writes about tunnels that must never hold up negotiation. The negotiator hands each write over
// and goes on (a retry is scheduled whatever PostgreSQL does); the writer stores them per tunnel in
// the order they were made, many tunnels' writes in one statement per kind
// (NegotiationStore.writeTunnels), and while PostgreSQL is unreachable keeps them and retries with
// back-off, so the stored state converges once it returns. Writes are guarded by configVersion in
// SQL, so a late one never overwrites a newer configuration's state.
import { describeError, unavailableDependency } from '../common/dependency-errors';
import { ConnectionState } from '../common/states';
import { PairState } from '../vpn/tunnels/vpn-tunnel.entity';
import { NegotiationStore, StoredFailure, TunnelEventInput, TunnelWrite } from './negotiation.queries';
import type { TunnelStateStore } from './tunnel-negotiator';
import { OwnershipFence } from '../hosts/host-lease';

export interface StateWriterOptions<W> {
  /** Stores writes about distinct keys (at most one each), all or none. */
  flush(writes: W[]): Promise<unknown>;
  /** Delays between tries of writes PostgreSQL refused for being away; the last repeats. */
  retryDelaysMs?: readonly number[];
  /** Queued writes per key; beyond it the oldest droppable ones (event records) go. */
  maxQueuedPerKey?: number;
  /** Batches being stored at once (default DEFAULT_CONCURRENT_BATCHES). */
  maxConcurrent?: number;
  /** Writes in one batch at most (default DEFAULT_BATCH_SIZE). */
  maxBatch?: number;
  log(message: string): void;
}

interface Queued<W> {
  label: string;
  /** Writes with the same coalesce key replace each other while queued (only the latest state matters). */
  coalesce: string | null;
  droppable: boolean;
  write: W;
}

export interface EnqueueOptions {
  /** A queued write with the same key is replaced (only the latest value matters). */
  coalesce?: string;
  /** May go when the tunnel's queue is full (an event record; never a state). */
  droppable?: boolean;
}

export const DEFAULT_WRITE_RETRY_DELAYS_MS = [200, 500, 1000, 2000, 3000] as const;
/**
 * Two batches at once: one is stored while the next one gathers what the negotiators hand over
 * meanwhile, so a lone write (a tunnel created on an idle host) never waits behind a big one. A
 * cold start queues ~5 writes for each of 1,000 tunnels at once: one statement a write kept them
 * ~100 s behind the negotiation at 5,000 tunnels on 2 cores, each write paying a round trip and
 * its own parse and plan on a busy worker and PostgreSQL.
 */
export const DEFAULT_CONCURRENT_BATCHES = 2;
export const DEFAULT_BATCH_SIZE = 250;

/** Keeps each key's writes in order; stores the heads of many keys' queues together. */
export class StateWriter<W = TunnelWrite> {
  /** Per key, its writes not yet stored; the head is being stored when the key is in `storing`. */
  private readonly queues = new Map<string, Queued<W>[]>();
  private readonly storing = new Set<string>();
  private running = 0;
  private attempt = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private failingSince = 0;
  private lastOutageLog = 0;
  private closed = false;

  constructor(private readonly o: StateWriterOptions<W>) {}

  /** Queues a write for `key` (a tunnel id); never throws, never waits. */
  enqueue(key: string, label: string, write: W, opts: EnqueueOptions = {}): void {
    const coalesce = opts.coalesce ?? null;
    if (this.closed) return;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    // The head (index 0) may be being stored: only queued writes behind it are replaced.
    if (coalesce) {
      const i = queue.findIndex((w, idx) => idx > 0 && w.coalesce === coalesce);
      if (i > 0) queue.splice(i, 1);
    }
    queue.push({ label, coalesce, droppable: opts.droppable ?? false, write });
    const max = this.o.maxQueuedPerKey ?? 200;
    while (queue.length > max) {
      const drop = queue.findIndex((w, idx) => idx > 0 && w.droppable);
      if (drop < 0) break;
      queue.splice(drop, 1);
    }
    this.pump();
  }

  /** Writes not yet stored (all tunnels). */
  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Resolves once every queued write is stored (or dropped). */
  idle(): Promise<void> {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying; what is still queued is dropped (the next worker's reconciler rewrites state). */
  close(): void {
    this.closed = true;
    for (const key of [...this.queues.keys()]) if (!this.storing.has(key)) this.queues.delete(key);
    this.settleIdle();
  }

  /** Starts batches while there are free slots and keys whose head is not being stored. */
  private pump(): void {
    const max = this.o.maxConcurrent ?? DEFAULT_CONCURRENT_BATCHES;
    const size = this.o.maxBatch ?? DEFAULT_BATCH_SIZE;
    while (!this.closed && this.running < max) {
      const batch: string[] = [];
      for (const key of this.queues.keys()) {
        if (this.storing.has(key)) continue;
        batch.push(key);
        if (batch.length >= size) break;
      }
      if (!batch.length) return;
      for (const key of batch) this.storing.add(key);
      this.running++;
      void this.store(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async store(keys: string[]): Promise<void> {
    const heads = keys.map((key) => this.queues.get(key)![0]);
    try {
      await this.o.flush(heads.map((h) => h.write));
      for (const key of keys) this.stored(key);
      return this.recovered();
    } catch (err) {
      if (unavailableDependency(err)) return this.retryLater(keys, err);
      if (keys.length === 1) {
        // Not an outage (a row gone, a bug): retrying would not help.
        this.o.log(`state writer: ${heads[0].label} dropped: ${describeError(err)}`);
        return this.stored(keys[0]);
      }
    }
    // One of them is refused for itself: each on its own, so only that one is dropped.
    for (let i = 0; i < keys.length; i++) {
      try {
        await this.o.flush([heads[i].write]);
      } catch (err) {
        if (unavailableDependency(err)) return this.retryLater(keys.slice(i), err);
        this.o.log(`state writer: ${heads[i].label} dropped: ${describeError(err)}`);
      }
      this.stored(keys[i]);
    }
  }

  /** The key's head is stored (or dropped): the next one may go. */
  private stored(key: string): void {
    this.storing.delete(key);
    const queue = this.queues.get(key);
    queue?.shift();
    if (!queue?.length || this.closed) this.queues.delete(key);
    this.settleIdle();
  }

  private async retryLater(keys: string[], err: unknown): Promise<void> {
    this.outage(err);
    const delays = this.o.retryDelaysMs ?? DEFAULT_WRITE_RETRY_DELAYS_MS;
    await new Promise((r) => setTimeout(r, delays[Math.min(this.attempt, delays.length - 1)]).unref());
    this.attempt++;
    for (const key of keys) {
      this.storing.delete(key);
      if (this.closed) this.queues.delete(key);
    }
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.queues.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private outage(err: unknown): void {
    const now = Date.now();
    if (!this.failingSince) this.failingSince = now;
    if (now - this.lastOutageLog >= 10_000) {
      this.lastOutageLog = now;
      this.o.log(`state writer: ${describeError(err)}; ${this.pending()} tunnel state writes kept, retrying (negotiation goes on)`);
    }
  }

  private recovered(): void {
    this.attempt = 0;
    if (!this.failingSince) return;
    this.o.log(
      `state writer: PostgreSQL is back after ${Math.round((Date.now() - this.failingSince) / 1000)} s; writing ${this.pending()} kept tunnel state writes`,
    );
    this.failingSince = 0;
    this.lastOutageLog = 0;
  }
}

/** The worker's state writer: tunnel writes, stored by NegotiationStore.writeTunnels. */
export function tunnelStateWriter(store: NegotiationStore, log: (message: string) => void): StateWriter<TunnelWrite> {
  return new StateWriter<TunnelWrite>({ flush: (writes) => store.writeTunnels(writes), log });
}

/**
 * The negotiator's store in the worker: the same calls as NegotiationStore, answered at once; the
 * writes run behind, per tunnel in order, kept and retried through a PostgreSQL outage. With a
 * fence (one store per gateway), every write lands only under that owner and epoch: a write kept
 * through an outage during which the gateway moved is ignored when PostgreSQL returns.
 */
export class WriteBehindStore implements TunnelStateStore {
  constructor(
    private readonly writer: StateWriter<TunnelWrite>,
    private readonly fence?: OwnershipFence,
  ) {}

  /** The same writer for one gateway under one ownership epoch. */
  fenced(fence: OwnershipFence): WriteBehindStore {
    return new WriteBehindStore(this.writer, fence);
  }

  async markApplied(tunnelId: string, version: number): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} applied v${version}`, { kind: 'applied', tunnelId, version, fence: this.fence });
  }

  async markTunnelError(tunnelId: string, version: number, message: string): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} config error`, { kind: 'config_error', tunnelId, version, message, fence: this.fence });
  }

  async setConnection(
    tunnelId: string,
    version: number,
    state: ConnectionState,
    failure: StoredFailure | null,
    at: Date = new Date(),
    event?: TunnelEventInput,
  ): Promise<boolean> {
    // With its event, one write: the state never waits behind its own log line.
    this.writer.enqueue(tunnelId, event ? `${tunnelId} ${state} (event ${event.kind})` : `${tunnelId} ${state}`, {
      kind: 'connection',
      tunnelId,
      version,
      state,
      failure,
      at,
      event,
      fence: this.fence,
    });
    return true;
  }

  async setDegraded(tunnelId: string, version: number, failure: StoredFailure | null): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} degraded`, { kind: 'degraded', tunnelId, version, failure, fence: this.fence });
  }

  async setPairStates(tunnelId: string, version: number, pairs: PairState[] | null): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} pairs`, { kind: 'pairs', tunnelId, version, pairs, fence: this.fence }, { coalesce: 'pairs' });
  }

  async recordEvent(tunnelId: string, e: TunnelEventInput): Promise<void> {
    const event = { ...e, at: e.at ?? new Date() };
    this.writer.enqueue(tunnelId, `${tunnelId} event ${e.kind}`, { kind: 'event', tunnelId, event, fence: this.fence }, { droppable: true });
  }
}

/** NegotiationStore's tunnel writes for one gateway under one ownership epoch, written at once. */
export class FencedStore implements TunnelStateStore {
  constructor(
    private readonly store: NegotiationStore,
    private readonly fence: OwnershipFence,
  ) {}

  markApplied(tunnelId: string, version: number): Promise<void> {
    return this.store.markApplied(tunnelId, version, this.fence);
  }

  markTunnelError(tunnelId: string, version: number, message: string): Promise<void> {
    return this.store.markTunnelError(tunnelId, version, message, this.fence);
  }

  setConnection(
    tunnelId: string,
    version: number,
    state: ConnectionState,
    failure: StoredFailure | null,
    at: Date = new Date(),
    event?: TunnelEventInput,
  ): Promise<boolean> {
    return this.store.setConnection(tunnelId, version, state, failure, at, this.fence, event);
  }

  setDegraded(tunnelId: string, version: number, failure: StoredFailure | null): Promise<void> {
    return this.store.setDegraded(tunnelId, version, failure, this.fence);
  }

  setPairStates(tunnelId: string, version: number, pairs: PairState[] | null): Promise<void> {
    return this.store.setPairStates(tunnelId, version, pairs, this.fence);
  }

  recordEvent(tunnelId: string, e: TunnelEventInput): Promise<void> {
    return this.store.recordEvent(tunnelId, e, this.fence);
  }
}
