// Writes about tunnels that must never hold up negotiation. The negotiator hands each write over
// and goes on (a retry is scheduled whatever PostgreSQL does); the writer runs them per tunnel in
// the order they were made and, while PostgreSQL is unreachable, keeps them and retries with
// back-off, so the stored state converges once it returns. Writes are guarded by configVersion in
// SQL, so a late one never overwrites a newer configuration's state.
import { describeError, unavailableDependency } from '../common/dependency-errors';
import { ConnectionState } from '../common/states';
import { PairState } from '../vpn/tunnels/vpn-tunnel.entity';
import { NegotiationStore, StoredFailure, TunnelEventInput } from './negotiation.queries';
import type { TunnelStateStore } from './tunnel-negotiator';
import { OwnershipFence } from '../hosts/host-lease';
import { KeyedLimiter } from './keyed-mutex';

export interface StateWriterOptions {
  /** Delays between tries of a write PostgreSQL refused for being away; the last repeats. */
  retryDelaysMs?: readonly number[];
  /** Queued writes per tunnel; beyond it the oldest droppable ones (event records) go. */
  maxQueuedPerKey?: number;
  /** Writes running at once, all tunnels together (default DEFAULT_CONCURRENT_WRITES). */
  maxConcurrent?: number;
  log(message: string): void;
}

interface Write {
  label: string;
  /** Writes with the same coalesce key replace each other while queued (only the latest state matters). */
  coalesce: string | null;
  droppable: boolean;
  run: () => Promise<unknown>;
}

export interface EnqueueOptions {
  /** A queued write with the same key is replaced (only the latest value matters). */
  coalesce?: string;
  /** May go when the tunnel's queue is full (an event record; never a state). */
  droppable?: boolean;
}

export const DEFAULT_WRITE_RETRY_DELAYS_MS = [200, 500, 1000, 2000, 3000] as const;
/**
 * Below the worker's pool of 10 PostgreSQL connections, with room for syncs and the reconciler.
 * A cold start queues ~5 writes for each of 1,000 tunnels at once: handed to the pool together,
 * they waited there past its 5 s connect timeout on a busy host, counted as an outage and went
 * into back-off. Waiting their turn here is not an outage.
 */
export const DEFAULT_CONCURRENT_WRITES = 6;

export class StateWriter {
  private readonly queues = new Map<string, Write[]>();
  private readonly idleWaiters: (() => void)[] = [];
  private failingSince = 0;
  private lastOutageLog = 0;
  private closed = false;
  private readonly slots: KeyedLimiter;

  constructor(private readonly o: StateWriterOptions) {
    this.slots = new KeyedLimiter(o.maxConcurrent ?? DEFAULT_CONCURRENT_WRITES);
  }

  /** Queues a write for `key` (a tunnel id); never throws, never waits. */
  enqueue(key: string, label: string, run: () => Promise<unknown>, opts: EnqueueOptions = {}): void {
    const coalesce = opts.coalesce ?? null;
    if (this.closed) return;
    let queue = this.queues.get(key);
    const fresh = !queue;
    if (!queue) {
      queue = [];
      this.queues.set(key, queue);
    }
    // The head (index 0) may be running: only queued writes behind it are replaced.
    if (coalesce) {
      const i = queue.findIndex((w, idx) => idx > 0 && w.coalesce === coalesce);
      if (i > 0) queue.splice(i, 1);
    }
    queue.push({ label, coalesce, droppable: opts.droppable ?? false, run });
    const max = this.o.maxQueuedPerKey ?? 200;
    while (queue.length > max) {
      const drop = queue.findIndex((w, idx) => idx > 0 && w.droppable);
      if (drop < 0) break;
      queue.splice(drop, 1);
    }
    if (fresh) void this.drain(key);
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
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    let attempt = 0;
    while (queue.length && !this.closed) {
      const write = queue[0];
      try {
        await this.slots.run('', () => write.run());
        queue.shift();
        attempt = 0;
        this.recovered();
      } catch (err) {
        if (!unavailableDependency(err)) {
          // Not an outage (a row gone, a bug): retrying would not help.
          this.o.log(`state writer: ${write.label} dropped: ${describeError(err)}`);
          queue.shift();
          continue;
        }
        this.outage(err);
        const delays = this.o.retryDelaysMs ?? DEFAULT_WRITE_RETRY_DELAYS_MS;
        await new Promise((r) => setTimeout(r, delays[Math.min(attempt, delays.length - 1)]).unref());
        attempt++;
      }
    }
    this.queues.delete(key);
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
    if (!this.failingSince) return;
    this.o.log(
      `state writer: PostgreSQL is back after ${Math.round((Date.now() - this.failingSince) / 1000)} s; writing ${this.pending()} kept tunnel state writes`,
    );
    this.failingSince = 0;
    this.lastOutageLog = 0;
  }
}

/**
 * The negotiator's store in the worker: the same calls as NegotiationStore, answered at once; the
 * writes run behind, per tunnel in order, kept and retried through a PostgreSQL outage. With a
 * fence (one store per gateway), every write lands only under that owner and epoch: a write kept
 * through an outage during which the gateway moved is ignored when PostgreSQL returns.
 */
export class WriteBehindStore implements TunnelStateStore {
  constructor(
    private readonly store: NegotiationStore,
    private readonly writer: StateWriter,
    private readonly fence?: OwnershipFence,
  ) {}

  /** The same writer for one gateway under one ownership epoch. */
  fenced(fence: OwnershipFence): WriteBehindStore {
    return new WriteBehindStore(this.store, this.writer, fence);
  }

  async markApplied(tunnelId: string, version: number): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} applied v${version}`, () => this.store.markApplied(tunnelId, version, this.fence));
  }

  async markTunnelError(tunnelId: string, version: number, message: string): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} config error`, () => this.store.markTunnelError(tunnelId, version, message, this.fence));
  }

  async setConnection(
    tunnelId: string,
    version: number,
    state: ConnectionState,
    failure: StoredFailure | null,
    at: Date = new Date(),
    event?: TunnelEventInput,
  ): Promise<boolean> {
    // With its event, one statement: the state never waits behind its own log line.
    this.writer.enqueue(tunnelId, event ? `${tunnelId} ${state} (event ${event.kind})` : `${tunnelId} ${state}`, () =>
      this.store.setConnection(tunnelId, version, state, failure, at, this.fence, event),
    );
    return true;
  }

  async setDegraded(tunnelId: string, version: number, failure: StoredFailure | null): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} degraded`, () => this.store.setDegraded(tunnelId, version, failure, this.fence));
  }

  async setPairStates(tunnelId: string, version: number, pairs: PairState[] | null): Promise<void> {
    this.writer.enqueue(tunnelId, `${tunnelId} pairs`, () => this.store.setPairStates(tunnelId, version, pairs, this.fence), { coalesce: 'pairs' });
  }

  async recordEvent(tunnelId: string, e: TunnelEventInput): Promise<void> {
    const stamped = { ...e, at: e.at ?? new Date() };
    this.writer.enqueue(tunnelId, `${tunnelId} event ${e.kind}`, () => this.store.recordEvent(tunnelId, stamped, this.fence), { droppable: true });
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
