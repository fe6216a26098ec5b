// The negotiator against an in-memory charon: what it reports when the remote takes a CHILD_SA
// and deletes it at once (a remote that cannot install the policy), seen in the lab with IKEv1
// and two remote subnets. Timers are short so retries happen within the test.
import { tunnel } from '../strongswan/__golden__/cases';
import { childNames } from '../strongswan/vici-conn';
import { ControlResult, ViciCommands } from '../vici';
import { NegotiationStore } from './negotiation-store';
import { TunnelNegotiator } from './tunnel-negotiator';

const v1Two = tunnel({ ike: { version: 'v1', exchangeMode: 'main' }, remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] });
const [child1, child2] = childNames(v1Two);

/** Children the "remote" refuses stay installed until the negotiator looks again. */
class FakeCharon {
  installed = new Set<string>();
  refused = new Set<string>();
  initiates: string[] = [];
  onInitiated: (child: string) => Promise<void> = async () => undefined;

  commands(): ViciCommands {
    const ok = async () => ({ success: true, log: [], response: {} });
    return {
      loadShared: ok, loadConn: ok, terminate: ok, unloadConn: ok, unloadShared: ok,
      listSas: async () => [{ name: 'x', sa: { state: 'ESTABLISHED' }, children: [...this.installed].map((name) => ({ name, state: 'INSTALLED' })) }],
      initiate: async ({ child }: { child: string }): Promise<ControlResult> => {
        this.initiates.push(child);
        this.installed.add(child);
        await this.onInitiated(child);
        return { success: true, log: [], response: {} };
      },
    } as unknown as ViciCommands;
  }
}

function recordingStore() {
  const events: { kind: string; result?: string; reasonCode?: string }[] = [];
  const states: { connection: string; failure: { code: string } | null }[] = [];
  const store = {
    markApplied: async () => undefined,
    markTunnelError: async () => undefined,
    recordEvent: async (_id: string, e: any) => void events.push(e),
    setConnection: async (_id: string, _v: number, connection: string, failure: any) => {
      states.push({ connection, failure });
      return true;
    },
  } as unknown as NegotiationStore;
  return { store, events, states };
}

function negotiator(charon: FakeCharon, store: NegotiationStore) {
  const commands = charon.commands();
  return new TunnelNegotiator(v1Two.id, {
    commands, withSession: (fn) => fn(commands), store,
    timings: { triesBeforeFailed: 3, quickRetryMs: 20, failedRetryMs: 60 }, initiateTimeoutMs: 1000, log: () => undefined,
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TunnelNegotiator', () => {
  let n: TunnelNegotiator | null = null;
  afterEach(() => n?.stop());

  it('connects when every child is installed after the initiates', async () => {
    const charon = new FakeCharon();
    const { store, states } = recordingStore();
    n = negotiator(charon, store);
    await n.apply({ render: v1Two, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(50);
    expect(charon.initiates).toEqual([child1, child2]);
    expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
  });

  it('a child the remote deletes at once is a phase 2 failure, retried with backoff, never "connected"', async () => {
    const charon = new FakeCharon();
    charon.refused.add(child2);
    // The remote's DELETE lands right after charon answered the initiate with success.
    charon.onInitiated = async (child) => {
      if (charon.refused.has(child)) setImmediate(() => charon.installed.delete(child));
      await settle(1);
    };
    const { store, states, events } = recordingStore();
    n = negotiator(charon, store);
    await n.apply({ render: v1Two, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(400);
    expect(states.some((s) => s.connection === 'connected')).toBe(false);
    expect(states.at(-1)).toEqual({ connection: 'phase2_failed', failure: expect.objectContaining({ code: 'remote_deleted_child_sa' }) });
    expect(events.filter((e) => e.kind === 'attempt').every((e) => e.result === 'failure' && e.reasonCode === 'remote_deleted_child_sa')).toBe(true);
    // Backoff: 3 tries (0, 20, 40 ms) then every 60 ms: a handful of tries in 400 ms, not a hot loop.
    const tries = charon.initiates.filter((c) => c === child2).length;
    expect(tries).toBeGreaterThanOrEqual(4);
    expect(tries).toBeLessThanOrEqual(9);

    // The remote is fixed: the next retry connects by itself.
    charon.refused.clear();
    await settle(150);
    expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
  });

  it('a child lost while the attempt is still reporting is noticed after it, not missed', async () => {
    const charon = new FakeCharon();
    const { store, states, events } = recordingStore();
    n = negotiator(charon, store);
    // The delete comes with its event while the attempt runs (after charon's success, before the report).
    let dropped = false;
    charon.onInitiated = async (child) => {
      if (child !== child2 || dropped) return;
      dropped = true;
      setTimeout(() => {
        charon.installed.delete(child2);
        void n!.onSaEvent(false);
      }, 0);
    };
    const slowRecord = store.recordEvent.bind(store);
    (store as any).recordEvent = async (id: string, e: any) => {
      await settle(5); // the attempt's own report is slower than the event
      return slowRecord(id, e);
    };
    await n.apply({ render: v1Two, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(300);
    // The drop was seen: a failed try or a flap was logged, and the retry brought both children back.
    expect(events.some((e) => e.reasonCode === 'remote_deleted_child_sa')).toBe(true);
    expect([...charon.installed].sort()).toEqual([child1, child2].sort());
    expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
  });
});
