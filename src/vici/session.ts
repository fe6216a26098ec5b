// A VICI session: one unix-socket connection to charon, a FIFO of operations (VICI allows one
// outstanding command per connection), per-command timeouts, reconnect with back-off, and
// event subscriptions that are re-registered after every reconnect.
import { encodeFrame, PacketType } from './codec';
import { ViciConnection } from './connection';
import { ViciConnectionError, ViciError, ViciProtocolError, ViciTimeoutError } from './errors';
import { registerEvents, runRequest, runStreamed, StreamResult, unregisterEvents } from './exchanges';
import type { ViciSection } from './message';
import { redactSecrets } from './redact';
import { callSafely, Subscription, Subscriptions } from './subscriptions';
import type {
  ConnectionChange,
  ReconnectOptions,
  RequestOptions,
  SessionState,
  StreamOptions,
  ViciEventHandler,
  ViciSessionOptions,
  ViciSubscription,
} from './session-types';

export type { StreamResult } from './exchanges';

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Job {
  label: string;
  run(conn: ViciConnection): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

export class ViciSession {
  private stateValue: SessionState = 'idle';
  private conn: ViciConnection | undefined;
  private queue: Job[] = [];
  private current: Job | undefined;
  private pumping = false;
  private everConnected = false;
  private backoffMs: number;
  private backoffTimer: NodeJS.Timeout | undefined;
  private connectWaiters: Array<{ resolve(): void; reject(err: ViciError): void }> = [];
  private readonly subscriptions: Subscriptions;
  private readonly connectionListeners = new Set<(change: ConnectionChange) => void>();
  private readonly timeoutMs: number;
  private readonly reconnect: Required<ReconnectOptions> | false;

  constructor(private readonly options: ViciSessionOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.reconnect = options.reconnect === false ? false : { initialDelayMs: 100, maxDelayMs: 5000, factor: 2, ...options.reconnect };
    this.backoffMs = this.reconnect ? this.reconnect.initialDelayMs : 0;
    this.subscriptions = new Subscriptions(options.logger?.warn?.bind(options.logger));
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** Connects now (commands connect lazily anyway). Rejects if the next attempt fails. */
  connect(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.reject(new ViciConnectionError('VICI session closed'));
    if (this.stateValue === 'connected') return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
    if (this.stateValue === 'idle') this.startConnect(0);
    return ready;
  }

  /** A plain command: CMD_REQUEST -> CMD_RESPONSE. */
  async request(command: string, message: ViciSection = {}, options: RequestOptions = {}): Promise<ViciSection> {
    const frame = this.encodeRequest(command, message);
    return this.enqueue(command, options.timeoutMs, (conn) => runRequest(conn, command, frame));
  }

  /** A streamed command (list-sas, list-conns, initiate, terminate, ...). */
  async streamedRequest(command: string, event: string, message: ViciSection = {}, options: StreamOptions = {}): Promise<StreamResult> {
    encodeFrame({ type: PacketType.EVENT_REGISTER, name: event }); // validates the name now
    const frame = this.encodeRequest(command, message);
    return this.enqueue(command, options.timeoutMs, (conn) => runStreamed(conn, command, event, frame, options.onEvent));
  }

  /**
   * Registers `events` on this session's connection and calls `handler` for each. The
   * registration is repeated after every reconnect (events in the gap are lost: listen to
   * onConnectionChange to resynchronise). Rejects (and drops the subscription) if charon
   * refuses an event or the registration fails.
   */
  async subscribe(events: readonly string[], handler: ViciEventHandler, options: RequestOptions = {}): Promise<ViciSubscription> {
    if (events.length === 0) throw new TypeError('subscribe() needs at least one event name');
    for (const name of events) encodeFrame({ type: PacketType.EVENT_REGISTER, name }); // validates names now
    const sub = this.subscriptions.add(events, handler); // before registering: events may precede EVENT_CONFIRM
    try {
      await this.enqueue(`register ${events.join(',')}`, options.timeoutMs, (conn) => registerEvents(conn, sub.events));
    } catch (err) {
      this.subscriptions.remove(sub);
      throw err;
    }
    return { events: [...sub.events], unsubscribe: () => this.unsubscribe(sub) };
  }

  /** Every event not consumed by a streamed command, subscribed or not. Returns a remover. */
  onEvent(listener: ViciEventHandler): () => void {
    return this.subscriptions.listen(listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Fails queued and in-flight operations, stops reconnecting, closes the socket. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    clearTimeout(this.backoffTimer);
    const err = new ViciConnectionError('VICI session closed');
    this.failQueue(err);
    if (this.current) this.settle(this.current, false, err);
    this.flushConnectWaiters(err);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.end(err);
  }

  // ---------------------------------------------------------------- queue

  private enqueue<T>(label: string, timeoutMs: number | undefined, run: (conn: ViciConnection) => Promise<T>): Promise<T> {
    if (this.stateValue === 'closed') return Promise.reject(new ViciConnectionError('VICI session closed'));
    const deadline = timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const job: Job = { label, run, resolve: resolve as (v: unknown) => void, reject, settled: false };
      this.arm(job, deadline);
      this.queue.push(job);
      if (this.stateValue === 'connected') void this.pump();
      else if (this.stateValue === 'idle') this.startConnect(0);
    });
  }

  private arm(job: Job, ms: number): void {
    // setTimeout turns Infinity (and anything above 2^31-1 ms) into 1 ms: treat those as "no deadline"
    if (ms <= MAX_TIMER_MS) job.timer = setTimeout(() => this.onTimeout(job, ms), ms);
  }

  private settle(job: Job, ok: boolean, value: unknown): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (ok) job.resolve(value);
    else job.reject(value);
  }

  private onTimeout(job: Job, ms: number): void {
    if (job.settled) return;
    const inFlight = this.current === job;
    const err = new ViciTimeoutError(job.label, ms, inFlight ? 'in_flight' : 'queued');
    this.settle(job, false, err);
    // a late reply would be taken for the next command's: the connection must go
    if (inFlight) this.conn?.destroy(err);
    else this.queue = this.queue.filter((j) => j !== job);
  }

  private failQueue(err: ViciError): void {
    const jobs = this.queue;
    this.queue = [];
    for (const job of jobs) this.settle(job, false, err);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.conn?.alive && this.queue.length > 0) {
        const conn = this.conn;
        const job = this.queue.shift() as Job;
        if (job.settled) continue;
        this.current = job;
        try {
          this.settle(job, true, await job.run(conn));
        } catch (err) {
          this.settle(job, false, err);
          // a reply out of step with the request: only a fresh connection is trustworthy
          if (err instanceof ViciProtocolError && conn.alive) conn.destroy(err);
        } finally {
          this.current = undefined;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  // ---------------------------------------------------------------- connection

  private startConnect(delayMs: number): void {
    if (this.stateValue === 'closed') return;
    if (delayMs <= 0) {
      void this.attempt();
      return;
    }
    this.stateValue = 'backoff';
    this.backoffTimer = setTimeout(() => void this.attempt(), delayMs);
    this.notify({ state: 'backoff', delayMs });
  }

  private async attempt(): Promise<void> {
    this.stateValue = 'connecting';
    let opened: ViciConnection | undefined;
    try {
      opened = await ViciConnection.open(this.options.socketPath, this.options, {
        onEvent: (name, message) => this.subscriptions.deliver(name, message),
        onClose: (reason) => {
          if (opened && opened === this.conn) this.onLost(reason);
        },
      });
    } catch (err) {
      this.onAttemptFailed(err instanceof ViciError ? err : new ViciConnectionError(String(err), err));
      return;
    }
    // state may have changed while we awaited (TS narrowed it to 'connecting')
    if (this.state === 'closed') return opened.destroy(new ViciConnectionError('VICI session closed'));
    if (!opened.alive) return this.onAttemptFailed(new ViciConnectionError('VICI connection closed right after connect'));
    this.conn = opened;
    this.stateValue = 'connected';
    this.backoffMs = this.reconnect ? this.reconnect.initialDelayMs : 0;
    const reconnected = this.everConnected;
    this.everConnected = true;
    const wanted = this.subscriptions.wanted();
    if (wanted.size > 0) {
      // ahead of everything queued, so no command runs before the subscriptions are back
      this.queue.unshift(this.internalJob(`re-register ${[...wanted].join(',')}`, (conn) => registerEvents(conn, wanted)));
    }
    this.flushConnectWaiters();
    this.notify({ state: 'connected', reconnected });
    void this.pump();
  }

  private onAttemptFailed(err: ViciError): void {
    if (this.stateValue === 'closed') return;
    this.flushConnectWaiters(err);
    if (this.reconnect) {
      this.startConnect(this.nextBackoff());
    } else {
      this.stateValue = 'idle';
      this.failQueue(err);
    }
  }

  private onLost(reason: ViciError): void {
    this.conn = undefined;
    if (this.stateValue === 'closed') return;
    this.notify({ state: 'disconnected', error: reason });
    // we dropped it ourselves (timeout, garbage): queued commands were never sent, keep them
    const reset = reason instanceof ViciTimeoutError || reason instanceof ViciProtocolError;
    if (!reset) this.failQueue(reason instanceof ViciConnectionError ? reason : new ViciConnectionError(reason.message, reason));
    if (reset && (this.queue.length > 0 || this.subscriptions.size > 0)) this.startConnect(0);
    else if (this.reconnect) this.startConnect(this.nextBackoff());
    else this.stateValue = 'idle';
  }

  private nextBackoff(): number {
    if (!this.reconnect) return 0;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(delay * this.reconnect.factor, this.reconnect.maxDelayMs);
    return delay;
  }

  private internalJob(label: string, run: (conn: ViciConnection) => Promise<unknown>): Job {
    const job: Job = {
      label,
      run,
      resolve: () => undefined,
      reject: (err) => this.options.logger?.warn?.(`VICI ${label} failed: ${String(err)}`),
      settled: false,
    };
    this.arm(job, this.timeoutMs);
    return job;
  }

  private async unsubscribe(sub: Subscription): Promise<void> {
    const unwanted = this.subscriptions.remove(sub);
    // registrations die with the socket, so there is only something to undo while connected
    if (unwanted.length === 0 || this.stateValue !== 'connected') return;
    await this.enqueue(`unregister ${unwanted.join(',')}`, undefined, (conn) => unregisterEvents(conn, unwanted));
  }

  private notify(change: ConnectionChange): void {
    const warn = this.options.logger?.warn?.bind(this.options.logger);
    for (const listener of this.connectionListeners) callSafely(() => listener(change), warn);
  }

  private flushConnectWaiters(err?: ViciError): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  /**
   * Encodes up front: a message charon could not parse is the caller's error, reported before
   * queueing, so it never costs the connection; the snapshot also ignores later mutation.
   */
  private encodeRequest(command: string, message: ViciSection): Buffer {
    const frame = encodeFrame({ type: PacketType.CMD_REQUEST, name: command, message }, this.options);
    this.options.logger?.debug?.(`VICI -> ${command} ${JSON.stringify(redactSecrets(message))}`);
    return frame;
  }
}
