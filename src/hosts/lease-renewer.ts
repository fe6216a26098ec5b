// The main thread's side of the lease thread (lease-renewer-thread.ts): starts it with the lease's
// shared state, beats the main thread's heartbeat into that state, forwards the thread's news, and
// restarts the thread when it dies. HostLease (the same shared state) is what the main thread reads.
import { existsSync } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import { describeError } from '../common/dependency-errors';
import { HostLease, monotonicMs } from './host-lease';
import type { LeaseThreadCommand, LeaseThreadData, LeaseThreadMessage, LeaseThreadSettings } from './lease-renewer-thread';

/** The thread's settings (LeaseThreadSettings: maxMainStallMs from maxMainStallMs()), and the main thread's side. */
export interface LeaseRenewerOptions extends LeaseThreadSettings {
  /** The main thread's view; the thread writes into its shared state. */
  lease: HostLease;
  /** A renewal succeeded (on the main thread, after the shared state says so). */
  onRenewed(revival: boolean): void;
  /** A renewal failed (PostgreSQL unreachable, a timeout, an SQL error). */
  onFailed(err: Error): void;
  /** Warnings: the thread died, the main thread was stalled past the guard. */
  warn(message: string): void;
  /** The main thread's heartbeat period (default 100 ms). */
  beatMs?: number;
}

/**
 * The thread's script: the compiled file beside this one, or, when this module runs as TypeScript
 * source (the tests), that source compiled as it loads with @swc/core (the tests' compiler).
 */
function spawnThread(workerData: LeaseThreadData): Worker {
  const compiled = join(__dirname, 'lease-renewer-thread.js');
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = join(__dirname, 'lease-renewer-thread.ts');
  const swc = require.resolve('@swc/core');
  const bootstrap = `
    const { readFileSync } = require('fs');
    const { transformSync } = require(${JSON.stringify(swc)});
    require.extensions['.ts'] = (module, filename) => module._compile(transformSync(readFileSync(filename, 'utf8'), {
      filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
    }).code, filename);
    require(${JSON.stringify(source)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export class LeaseRenewer {
  private thread: Worker | null = null;
  private beat: NodeJS.Timeout | null = null;
  private restart: NodeJS.Timeout | null = null;
  private stopping = false;
  private first: { resolve: () => void; reject: (e: Error) => void; promise: Promise<void> } | null = null;

  constructor(private readonly o: LeaseRenewerOptions) {}

  /** Starts the heartbeat and the thread; the thread renews at once, then every renewMs. */
  start(): void {
    const state = this.o.lease.state;
    state.beat(monotonicMs());
    // The heartbeat is a main-thread timer: it stops exactly when the main event loop does.
    this.beat = setInterval(() => state.beat(monotonicMs()), this.o.beatMs ?? 100);
    this.spawn();
  }

  /**
   * Resolves at the first successful renewal; rejects with the first failure that is not a
   * dependency being away (a wrong setting, a missing table) or when stopped meanwhile.
   */
  firstRenewal(isTransient: (err: Error) => boolean): Promise<void> {
    if (this.o.lease.state.renewals() > 0) return Promise.resolve();
    if (!this.first) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.first = { resolve, reject: (e) => (isTransient(e) ? undefined : reject(e)), promise };
    }
    return this.first.promise;
  }

  private spawn(): void {
    const o = this.o;
    // The settings only: the callbacks and the lease object stay on this thread.
    const { lease, onRenewed: _onRenewed, onFailed: _onFailed, warn: _warn, beatMs: _beatMs, ...settings } = o;
    const thread = spawnThread({ leaseThread: true, ...settings, buffer: lease.state.buffer });
    this.thread = thread;
    // The worker process's exit never waits for the thread (stop() ends it anyway).
    thread.unref();
    thread.on('message', (m: LeaseThreadMessage) => this.received(m));
    thread.on('error', (err) => o.warn(`lease thread failed: ${describeError(err)}`));
    thread.on('exit', (code) => {
      if (this.thread === thread) this.thread = null;
      if (this.stopping) return;
      // The lease keeps its deadline meanwhile: restarted within a renewal period, nothing lapses.
      o.warn(
        `lease thread exited (code ${code}): restarting it in ${o.renewMs} ms (${Math.max(0, Math.round(o.lease.msLeft()))} ms before this host may fence itself)`,
      );
      this.restart = setTimeout(() => {
        this.restart = null;
        if (!this.stopping) this.spawn();
      }, o.renewMs);
    });
  }

  private received(m: LeaseThreadMessage): void {
    if (this.stopping) return;
    if (m.type === 'renewed') {
      this.first?.resolve();
      this.o.onRenewed(m.revival);
    } else if (m.type === 'failed') {
      const err = Object.assign(new Error(m.error.message), { code: m.error.code });
      if (m.error.name) err.name = m.error.name;
      this.first?.reject(err);
      this.o.onFailed(err);
    } else if (m.type === 'stalled') {
      this.o.warn(
        `the main thread was stalled for over ${Math.round(m.silentMs / 1000)} s (more than ${Math.round(this.o.maxMainStallMs / 1000)} s): the lease thread stopped renewing, this host's lease lapses and other hosts take its gateways`,
      );
    }
  }

  /** The lease's flags from the last renewal. */
  flags(): { cordoned: boolean; draining: boolean } {
    return this.o.lease.state.flags();
  }

  /** Ends the thread (its connection closed) and the heartbeat; renewals stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.beat) clearInterval(this.beat);
    if (this.restart) clearTimeout(this.restart);
    this.first?.reject(new Error('stopped'));
    const thread = this.thread;
    this.thread = null;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ type: 'stop' } satisfies LeaseThreadCommand);
    // A thread stuck in a connect gets a moment to close its connection, then is ended.
    const timer = setTimeout(() => void thread.terminate(), Math.min(2000, this.o.ttlMs));
    await exited;
    clearTimeout(timer);
  }
}
