// The lease thread: renews this host's lease in PostgreSQL on its own connection and its own timer,
// so the lease holds while the worker's main event loop is held (CPU starvation under load, a long
// GC, synchronous work). It writes each renewal into the lease state shared with the main thread
// (SharedLeaseState) and tells the main thread, which does the rest (the Redis evidence mark, claims,
// fencing). It stops renewing once the main thread's heartbeat is older than maxMainStallMs: a worker
// whose main thread hangs must still lose its lease. Started by LeaseRenewer (lease-renewer.ts).
import { Client } from 'pg';
import { isMainThread, parentPort, workerData } from 'worker_threads';
import { HostLease, monotonicMs, SharedLeaseState } from './host-lease';
import { LeaseHolder, renewLeaseOn } from './host-lease.queries';

/** How the lease thread renews: whose lease, where, how often, and when it stops (the main thread stalled). */
export interface LeaseThreadSettings extends LeaseHolder {
  databaseUrl: string;
  renewMs: number;
  fenceMarginMs: number;
  maxMainStallMs: number;
}

/** The thread's workerData: its settings and the lease's shared state (SharedLeaseState's buffer). */
export interface LeaseThreadData extends LeaseThreadSettings {
  leaseThread: true;
  buffer: SharedArrayBuffer;
}

/** What the thread tells the main thread. */
export type LeaseThreadMessage =
  { type: 'renewed'; revival: boolean } | { type: 'failed'; error: { message: string; name?: string; code?: string } } | { type: 'stalled'; silentMs: number };

/** What the main thread tells the thread. */
export type LeaseThreadCommand = { type: 'stop' };

async function run(d: LeaseThreadData): Promise<void> {
  const port = parentPort!;
  const post = (m: LeaseThreadMessage) => port.postMessage(m);
  const state = new SharedLeaseState(d.buffer);
  const lease = new HostLease({ ttlMs: d.ttlMs, fenceMarginMs: d.fenceMarginMs }, monotonicMs, state);
  let client: Client | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  const drop = () => {
    const c = client;
    client = null;
    void c?.end().catch(() => undefined);
  };
  port.on('message', (m: LeaseThreadCommand) => {
    if (m.type !== 'stop') return;
    stopping = true;
    wake?.();
  });

  let stalled = false;
  while (!stopping) {
    const started = monotonicMs();
    const silentMs = started - state.mainBeat();
    if (silentMs > d.maxMainStallMs) {
      // Said once per stall; the main thread reads it when (if) it runs again.
      if (!stalled) post({ type: 'stalled', silentMs: Math.round(silentMs) });
      stalled = true;
    } else {
      stalled = false;
      try {
        if (!client) {
          // Bounded connect and statement: a renewal that cannot finish within the lease is worthless.
          const c = new Client({
            connectionString: d.databaseUrl,
            connectionTimeoutMillis: Math.min(2000, d.ttlMs),
            statement_timeout: d.ttlMs,
            // PostgreSQL frozen or a network black hole: statement_timeout never fires.
            query_timeout: d.ttlMs,
            application_name: `vpn-worker lease ${d.hostId}`,
          });
          // A connection lost between renewals (PostgreSQL restarted) is replaced at the next one.
          c.on('error', () => client === c && drop());
          await c.connect().catch((err) => {
            void c.end().catch(() => undefined);
            throw err;
          });
          client = c;
        }
        const sentAt = lease.renewalStarted();
        const flags = await renewLeaseOn(client, d);
        state.setFlags(flags);
        post({ type: 'renewed', revival: lease.renewed(sentAt) });
      } catch (err) {
        // The connection's state is unknown after a timeout: a fresh one next time.
        drop();
        const e = err as { message?: unknown; name?: unknown; code?: unknown };
        post({
          type: 'failed',
          error: {
            message: String(e?.message ?? err),
            name: typeof e?.name === 'string' ? e.name : undefined,
            code: typeof e?.code === 'string' ? e.code : undefined,
          },
        });
      }
    }
    if (stopping) break;
    // Paced from the start of this renewal; one that took longer is followed at once (never two at once).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, started + d.renewMs - monotonicMs()));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  }
  await client?.end().catch(() => undefined);
  port.close();
}

if (!isMainThread && (workerData as LeaseThreadData | undefined)?.leaseThread) {
  void run(workerData as LeaseThreadData);
}
