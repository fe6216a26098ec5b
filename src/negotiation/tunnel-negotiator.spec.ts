// The negotiator against an in-memory charon: what it reports when the remote takes a CHILD_SA
// and deletes it at once (a remote that cannot install the policy), seen in the lab with IKEv1
// and two remote subnets. Timers are short so retries happen within the test.
import { tunnel } from '../strongswan/__golden__/cases';
import { childNames } from '../strongswan/vici-conn';
import { ControlResult, ViciCommands } from '../vici';
import { rekeyTargetOf, TunnelNegotiator, TunnelStateStore } from './tunnel-negotiator';

const v1Two = tunnel({ ike: { version: 'v1', exchangeMode: 'main' }, remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] });
const [child1, child2] = childNames(v1Two);
const v2 = tunnel({ remoteCidrs: ['10.26.0.0/16'] });

/** Children the "remote" refuses stay installed until the negotiator looks again. */
class FakeCharon {
  installed = new Set<string>();
  refused = new Set<string>();
  initiates: string[] = [];
  rekeys: string[] = [];
  /** The IKE_SAs listed while a child is installed (default: one IKE_SA holding them). */
  ikeSas: (() => unknown[]) | null = null;
  /** Every rekey request as sent (child name or child-id). */
  rekeyRequests: { child?: string; childId?: string | number }[] = [];
  onInitiated: (child: string) => Promise<void> = async () => undefined;
  /** What the remote does with a rekey: by default it takes it (charon then sends child-rekey). */
  onRekey: (child: string) => void = () => undefined;
  initiateResult: (child: string) => ControlResult = () => ({ success: true, log: [], response: {} });

  commands(): ViciCommands {
    const ok = async () => ({ success: true, log: [], response: {} });
    return {
      loadShared: ok,
      loadConn: ok,
      terminate: ok,
      unloadConn: ok,
      unloadShared: ok,
      listSas: async () =>
        !this.installed.size
          ? []
          : (this.ikeSas?.() ?? [{ name: 'x', sa: { state: 'ESTABLISHED' }, children: [...this.installed].map((name) => ({ name, state: 'INSTALLED' })) }]),
      initiate: async ({ child }: { child: string }): Promise<ControlResult> => {
        this.initiates.push(child);
        const result = this.initiateResult(child);
        if (result.success) this.installed.add(child);
        await this.onInitiated(child);
        return result;
      },
      rekey: async (o: { child?: string; childId?: string | number }) => {
        this.rekeyRequests.push(o);
        const child = o.child ?? [...this.installed][0];
        this.rekeys.push(child);
        setImmediate(() => this.onRekey(child));
        return { matches: this.installed.has(child) ? 1 : 0 };
      },
    } as unknown as ViciCommands;
  }
}

function recordingStore() {
  const events: { kind: string; result?: string; reasonCode?: string; message?: string; lines?: string[] }[] = [];
  const states: { connection: string; failure: { code: string } | null }[] = [];
  const degraded: ({ code: string; message: string } | null)[] = [];
  const pairs: unknown[] = [];
  const store = {
    markApplied: async () => undefined,
    markTunnelError: async () => undefined,
    recordEvent: async (_id: string, e: any) => void events.push(e),
    setConnection: async (_id: string, _v: number, connection: string, failure: any, _at?: Date, event?: any) => {
      if (event) events.push(event);
      states.push({ connection, failure: failure && { code: failure.code } });
      return true;
    },
    setDegraded: async (_id: string, _v: number, failure: any) => void degraded.push(failure),
    setPairStates: async (_id: string, _v: number, p: unknown) => void pairs.push(p),
  } as unknown as TunnelStateStore;
  return { store, events, states, degraded, pairs };
}

function negotiator(charon: FakeCharon, store: TunnelStateStore, extra: Partial<ConstructorParameters<typeof TunnelNegotiator>[1]> = {}, id = v1Two.id) {
  const commands = charon.commands();
  return new TunnelNegotiator(id, {
    commands,
    withSession: (fn) => fn(commands),
    store,
    timings: { triesBeforeFailed: 3, quickRetryMs: 20, failedRetryMs: 60 },
    initiateTimeoutMs: 1000,
    rekeyCheckTimeoutMs: 200,
    log: () => undefined,
    ...extra,
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The negotiator under test (stopped after each test). */
let n: TunnelNegotiator | null = null;

/** The remote takes the negotiator's rekeys: charon reports each as a child-rekey event. */
function takesRekeys(charon: FakeCharon): void {
  charon.onRekey = () => void n!.onRekey('CHILD_SA rekeyed', 'child');
}

describe('TunnelNegotiator', () => {
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

  it('a retry initiates only the children that are down: the installed pair is never duplicated', async () => {
    const charon = new FakeCharon();
    charon.initiateResult = (child) =>
      child === child2
        ? {
            success: false,
            errmsg: 'establishing CHILD_SA failed',
            log: [{ group: 'IKE', level: 1, msg: 'received INVALID_ID_INFORMATION error notify' }],
            response: {},
          }
        : { success: true, log: [], response: {} };
    const { store, states, pairs } = recordingStore();
    n = negotiator(charon, store);
    await n.apply({ render: v1Two, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(400);
    expect(charon.initiates.filter((c) => c === child1)).toEqual([child1]);
    expect(charon.initiates.filter((c) => c === child2).length).toBeGreaterThanOrEqual(4);
    expect(states.at(-1)).toEqual({ connection: 'phase2_failed', failure: { code: 'traffic_selectors_mismatch' } });
    // The pair that is up is recorded as up, the other as down: routes follow pairs.
    expect(pairs.at(-1)).toEqual([
      { local: v1Two.localCidrs[0], remote: '10.23.0.0/16', up: true },
      { local: v1Two.localCidrs[0], remote: '10.25.0.0/16', up: false },
    ]);
  });

  it('IKEv2: a connect-time rekey the remote refuses (PFS mismatch) is a phase 2 failure naming PFS, never "connected"', async () => {
    const charon = new FakeCharon();
    const { store, states, events } = recordingStore();
    n = negotiator(charon, store, {}, v2.id);
    charon.onRekey = () => {
      n!.onLogLine('received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built');
      n!.onLogLine('CHILD_SA rekeying failed, trying again in 15 seconds');
    };
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(300);
    expect(charon.rekeys.length).toBeGreaterThanOrEqual(3);
    expect(states.some((s) => s.connection === 'connected')).toBe(false);
    expect(states.at(-1)).toEqual({ connection: 'phase2_failed', failure: { code: 'ipsec_proposal_mismatch' } });
    const failure = events.filter((e) => e.result === 'failure').at(-1)!;
    expect(failure.message).toMatch(/PFS setting differs/);
    expect(failure.lines!.join('\n')).toMatch(/NO_PROPOSAL_CHOSEN/);
  });

  it('IKEv2: the connect-time rekey renews one CHILD_SA by its id, the one on our own IKE_SA, when both ends initiated', async () => {
    const charon = new FakeCharon();
    const [name] = childNames(v2);
    const child = (uniqueid: string) => ({ name, uniqueid, state: 'INSTALLED' });
    // The remote's IKE_SA (two children: its own and a newer one) and ours (one).
    charon.ikeSas = () => [
      { name: 'x', sa: { state: 'ESTABLISHED', uniqueid: '1' }, children: [child('1'), child('3')] },
      { name: 'x', sa: { state: 'ESTABLISHED', uniqueid: '2', initiator: 'yes' }, children: [child('2')] },
    ];
    const { store, states } = recordingStore();
    n = negotiator(charon, store, {}, v2.id);
    takesRekeys(charon);
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(100);
    expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
    expect(charon.rekeyRequests).toEqual([{ childId: '2' }]);
  });

  it('rekeyTargetOf: a CHILD_SA on an IKE_SA we initiated first, else the newest; none when nothing is installed', () => {
    const sa = (uniqueid: string, initiator: boolean, children: [string, string, string][]) => ({
      name: 'c',
      sa: { uniqueid, state: 'ESTABLISHED', ...(initiator ? { initiator: 'yes' } : {}) },
      children: children.map(([name, uniqueid, state]) => ({ name, uniqueid, state })),
    });
    const remote = sa('1', false, [
      ['a', '5', 'INSTALLED'],
      ['a', '9', 'INSTALLED'],
      ['b', '12', 'INSTALLED'],
    ]);
    const ours = sa('2', true, [
      ['a', '7', 'INSTALLED'],
      ['a', '8', 'REKEYING'],
    ]);
    expect(rekeyTargetOf([remote, ours] as any, 'a')).toBe('7');
    expect(rekeyTargetOf([remote] as any, 'a')).toBe('9');
    expect(rekeyTargetOf([sa('3', true, [['a', '4', 'REKEYING']])] as any, 'a')).toBeUndefined();
    expect(rekeyTargetOf([], 'a')).toBeUndefined();
  });

  it('IKEv2: a rekey the remote takes connects; a later failed rekey shows beside "connected" until one succeeds', async () => {
    const charon = new FakeCharon();
    const { store, states, events, degraded } = recordingStore();
    n = negotiator(charon, store, {}, v2.id);
    takesRekeys(charon);
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(100);
    expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
    expect(n.degraded).toBe(false);

    n.onLogLine('received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built');
    n.onLogLine('CHILD_SA rekeying failed, trying again in 15 seconds');
    await settle(20);
    expect(n.degraded).toBe(true);
    expect(degraded).toEqual([expect.objectContaining({ code: 'ipsec_proposal_mismatch', phase: 2, tries: 1 })]);
    expect(events.at(-1)).toMatchObject({ kind: 'rekey', result: 'failure', reasonCode: 'ipsec_proposal_mismatch' });
    // charon's own retry succeeds: the failure is cleared.
    await n.onRekey('CHILD_SA rekeyed', 'child');
    expect(n.degraded).toBe(false);
    expect(degraded.at(-1)).toBeNull();
  });

  it('a phase 1 refusal from a peer seen initiating IKEv1 is reported as a version mismatch', async () => {
    const charon = new FakeCharon();
    charon.initiateResult = () => ({
      success: false,
      errmsg: 'establishing CHILD_SA failed',
      log: [{ group: 'IKE', level: 1, msg: 'received NO_PROPOSAL_CHOSEN notify error' }],
      response: {},
    });
    const { store, states } = recordingStore();
    n = negotiator(charon, store, { peerFlavour: () => 'IKEv1 main mode' }, v2.id);
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(150);
    expect(states.at(-1)).toEqual({ connection: 'phase1_failed', failure: { code: 'ike_version_or_mode_mismatch' } });
  });

  it("a failed reauthentication drops the tunnel's SAs and says why; the reconnect then shows the reason", async () => {
    const charon = new FakeCharon();
    const terminated: string[] = [];
    const commands = charon.commands();
    (commands as any).terminate = async ({ ike }: { ike: string }) => {
      terminated.push(ike);
      charon.installed.clear();
      return { success: true, log: [], response: {} };
    };
    const { store, events } = recordingStore();
    n = new TunnelNegotiator(v1Two.id, {
      commands,
      withSession: (fn) => fn(commands),
      store,
      timings: { triesBeforeFailed: 3, quickRetryMs: 20, failedRetryMs: 60 },
      initiateTimeoutMs: 1000,
      log: () => undefined,
    });
    await n.apply({ render: v1Two, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(50);
    n.onLogLine('INFORMATIONAL_V1 request with message ID 322370619 processing failed');
    n.onLogLine('giving up after 2 retransmits');
    n.onLogLine('reauthentication failed, trying to reestablish IKE_SA');
    await settle(20);
    expect(terminated).toEqual([n.conn]);
    expect(events.find((e) => e.kind === 'rekey')).toMatchObject({ result: 'failure', reasonCode: 'psk_mismatch_or_id_mismatch' });
    expect(events.find((e) => e.kind === 'rekey')!.message).toMatch(/^Reauthenticating the IKE_SA .* failed/);
  });

  it.each(['clear', 'hold'] as const)(
    'DPD action %s: a tunnel that went down is not re-initiated by the worker (nor by the audit) until the next version',
    async (action) => {
      const charon = new FakeCharon();
      const { store, events } = recordingStore();
      const t = { ...v2, options: { dpd: { delaySeconds: 3, timeoutSeconds: 10, action }, ikeFragmentation: true, tcpMssClamp: null } };
      n = negotiator(charon, store, {}, v2.id);
      takesRekeys(charon);
      await n.apply({ render: t, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(100);
      expect(n.connection).toBe('connected');
      (n as any).connectedAt = Date.now() - 60_000; // long up: a down, not a connect-time flap
      charon.installed.clear();
      await n.onSaEvent(false);
      await n.audit('connecting');
      await settle(100);
      expect(charon.initiates).toHaveLength(1);
      expect(events.find((e) => e.kind === 'down')?.message).toContain(`dpd action ${action}`);
      // The remote (or charon's trap) brings it back: followed as usual.
      charon.installed.add(childNames(t)[0]);
      await n.onSaEvent(true);
      expect(n.connection).toBe('connected');
      // The next version initiates again.
      charon.installed.clear();
      await n.apply({ render: t, configVersion: 2, appliedVersion: 1, resourceState: 'running' } as any);
      await settle(100);
      expect(charon.initiates).toHaveLength(2);
    },
  );

  it('DPD action restart (the default): a tunnel that went down is re-initiated at once', async () => {
    const charon = new FakeCharon();
    const { store } = recordingStore();
    n = negotiator(charon, store, {}, v2.id);
    takesRekeys(charon);
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(100);
    (n as any).connectedAt = Date.now() - 60_000;
    charon.installed.clear();
    await n.onSaEvent(false);
    await settle(100);
    expect(charon.initiates).toHaveLength(2);
    expect(n.connection).toBe('connected');
  });

  describe('while PostgreSQL is away (issue 12)', () => {
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

    it('a tunnel that drops is reconnected although every state write and event record fails', async () => {
      const charon = new FakeCharon();
      const { store, states } = recordingStore();
      n = negotiator(charon, store, {}, v2.id);
      takesRekeys(charon);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(100);
      expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
      const initiatesBefore = charon.initiates.length;

      // PostgreSQL goes away; then the remote restarts and the SA is gone.
      const failing = async () => {
        throw refused();
      };
      Object.assign(store, { setConnection: failing, recordEvent: failing, setPairStates: failing, markApplied: failing, setDegraded: failing });
      charon.installed.clear();
      await n.onSaEvent(false);
      await settle(100);
      // The reconnect was scheduled and ran, whatever the writes did.
      expect(charon.initiates.length).toBeGreaterThan(initiatesBefore);
      expect(charon.installed.size).toBe(1);
      expect(n.connection).toBe('connected');
    });

    it('an edit is applied (terminate, then initiate) while every write hangs (a dependency that never answers)', async () => {
      const charon = new FakeCharon();
      const { store } = recordingStore();
      const never = () => new Promise<never>(() => undefined);
      Object.assign(store, { setConnection: never, recordEvent: never, setPairStates: never, markApplied: never, setDegraded: never });
      n = negotiator(charon, store, {}, v2.id);
      takesRekeys(charon);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(50);
      expect(charon.initiates.length).toBe(1);
      // The edit: the old SA goes, the new one comes at once, nothing waits on the hanging writes.
      const applied = n.apply({ render: v2, configVersion: 2, appliedVersion: 1, resourceState: 'running' } as any);
      charon.installed.clear();
      await applied;
      await settle(50);
      expect(charon.initiates.length).toBe(2);
      expect(n.connection).toBe('connected');
    });

    it("the reconciler's audit initiates a tunnel that has no SA and no try pending", async () => {
      const charon = new FakeCharon();
      const { store } = recordingStore();
      n = negotiator(charon, store, { timings: { triesBeforeFailed: 3, quickRetryMs: 20, failedRetryMs: 60_000 } }, v2.id);
      charon.initiateResult = () => ({
        success: false,
        errmsg: 'establishing CHILD_SA failed',
        log: [{ group: 'IKE', level: 1, msg: 'giving up after 2 retransmits' }],
        response: {},
      });
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(150); // 3 tries, then the 60 s retry is pending
      const tries = charon.initiates.length;
      expect(tries).toBe(3);
      // A pending retry is left alone.
      await n.audit('phase1_failed');
      await settle(20);
      expect(charon.initiates.length).toBe(tries);
      // A retry lost (n.stop-like: the timer gone), the remote back: the audit initiates.
      (n as any).clearTimer();
      charon.initiateResult = () => ({ success: true, log: [], response: {} });
      takesRekeys(charon);
      await n.audit('phase1_failed');
      await settle(100);
      expect(charon.initiates.length).toBe(tries + 1);
      expect(n.connection).toBe('connected');
    });

    it('the audit corrects a stored state that differs from what charon has', async () => {
      const charon = new FakeCharon();
      const { store, states } = recordingStore();
      n = negotiator(charon, store, {}, v2.id);
      takesRekeys(charon);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(100);
      const written = states.length;
      await n.audit('connected'); // stored = known: nothing to write
      expect(states.length).toBe(written);
      await n.audit('connecting'); // a write was lost: rewritten
      expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
      expect(states.length).toBe(written + 1);
    });
  });

  describe('a restarted worker adopting a running charon', () => {
    it('takes an installed tunnel over without loading, terminating, initiating or rewriting it', async () => {
      const charon = new FakeCharon();
      const calls: string[] = [];
      const commands = charon.commands();
      for (const k of ['loadConn', 'loadShared', 'terminate', 'rekey'] as const) {
        const orig = (commands as any)[k];
        (commands as any)[k] = async (...a: unknown[]) => {
          calls.push(k);
          return orig(...a);
        };
      }
      charon.installed.add(childNames(v2)[0]);
      const { store, states, events } = recordingStore();
      n = new TunnelNegotiator(v2.id, {
        commands,
        withSession: (fn) => fn(commands),
        store,
        timings: { triesBeforeFailed: 3, quickRetryMs: 20, failedRetryMs: 60 },
        initiateTimeoutMs: 1000,
        log: () => undefined,
      });
      await n.adopt({ render: v2, configVersion: 1, appliedVersion: 1, resourceState: 'running', storedConnection: 'connected' });
      await settle(50);
      expect(n.connection).toBe('connected');
      expect(calls).toEqual([]);
      expect(charon.initiates).toEqual([]);
      expect(states).toEqual([]); // connectedAt stays as stored
      expect(events).toEqual([]);
      // It then follows charon as usual: the SA drops, it reconnects at once.
      charon.installed.clear();
      takesRekeys(charon);
      await n.onSaEvent(false);
      await settle(100);
      expect(charon.initiates.length).toBe(1);
      expect(n.connection).toBe('connected');
    });

    it('initiates an adopted tunnel that has no SA', async () => {
      const charon = new FakeCharon();
      const { store, states } = recordingStore();
      n = negotiator(charon, store, {}, v2.id);
      takesRekeys(charon);
      await n.adopt({ render: v2, configVersion: 1, appliedVersion: 1, resourceState: 'running', storedConnection: 'connected' });
      await settle(100);
      expect(charon.initiates.length).toBe(1);
      expect(states.map((x) => x.connection)).toEqual(['connecting', 'connected']);
    });
  });

  it('a proposal refusal names what the peer offered in its own try (seen as responder before the conn was named) and what this tunnel accepts (issue 16)', async () => {
    const charon = new FakeCharon();
    charon.initiateResult = () =>
      ({
        success: false,
        errmsg: 'establishing CHILD_SA failed',
        log: [{ group: 'IKE', msg: 'received NO_PROPOSAL_CHOSEN notify error' }],
        response: {},
      }) as unknown as ControlResult;
    const { store, events } = recordingStore();
    const peerLines = (ip: string) =>
      ip === v2.peerIp
        ? [
            '[CFG] received proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048',
            '[CFG] configured proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024',
            '[IKE] received proposals unacceptable',
          ]
        : [];
    n = negotiator(charon, store, { peerLines }, v2.id);
    await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
    await settle(30);
    const attempt = events.find((e) => e.kind === 'attempt' && e.result === 'failure');
    expect(attempt).toMatchObject({ reasonCode: 'ike_proposal_mismatch' });
    expect(attempt!.message).toContain(
      'The peer offered AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048; this tunnel accepts AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024: set ike=aes128-sha1-modp1024 on the peer',
    );
  });

  describe('the path to connected (issue 20)', () => {
    /** The charon whose listings are counted, in order with the initiates. */
    function countingCharon() {
      const charon = new FakeCharon();
      const calls: string[] = [];
      const commands = charon.commands();
      const counted = {
        ...commands,
        listSas: async (...a: unknown[]) => {
          calls.push('listSas');
          return (commands.listSas as (...x: unknown[]) => Promise<unknown>)(...a);
        },
        initiate: async (...a: unknown[]) => {
          calls.push('initiate');
          return (commands.initiate as (...x: unknown[]) => Promise<unknown>)(...a);
        },
      } as unknown as ViciCommands;
      charon.commands = () => counted;
      return { charon, calls };
    }

    it('a newly loaded tunnel initiates without listing SAs first; one applied before is listed first, so an installed child is not initiated twice', async () => {
      const { charon, calls } = countingCharon();
      takesRekeys(charon);
      const { store, states } = recordingStore();
      n = negotiator(charon, store, {}, v2.id);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(30);
      expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
      expect(calls.slice(0, 2)).toEqual(['initiate', 'listSas']);
      n.stop();

      // A worker that meets a charon loaded at an earlier applied version: its SAs may be up.
      const again = countingCharon();
      again.charon.installed.add(childNames(v2)[0]);
      takesRekeys(again.charon);
      n = negotiator(again.charon, recordingStore().store, {}, v2.id);
      await n.apply({ render: v2, configVersion: 2, appliedVersion: 1, resourceState: 'running' } as any);
      await n.onSaEvent(false);
      await settle(30);
      expect(again.calls[0]).toBe('listSas');
      expect(again.charon.initiates).toEqual([]);
    });

    it('reports connected only once the route sync given to apply has settled, failed or not', async () => {
      for (const outcome of ['synced', 'failed'] as const) {
        const charon = new FakeCharon();
        takesRekeys(charon);
        const { store, states } = recordingStore();
        n = negotiator(charon, store, {}, v2.id);
        let settleRoutes!: () => void;
        const routesReady = new Promise<void>((resolve, reject) => (settleRoutes = outcome === 'synced' ? resolve : () => reject(new Error('ip failed'))));
        routesReady.catch(() => undefined);
        await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any, { routesReady });
        await settle(30);
        expect(charon.installed.size).toBe(1);
        expect(states.some((s) => s.connection === 'connected')).toBe(false);
        settleRoutes();
        await settle(10);
        expect(states.at(-1)).toEqual({ connection: 'connected', failure: null });
        n.stop();
      }
    });

    it("writes each state and its log line in one call, the line's time being the state's (the configuration's line with `connecting`)", async () => {
      const charon = new FakeCharon();
      takesRekeys(charon);
      const { store, events, states } = recordingStore();
      const together: { connection: string; kind: string; sameTime: boolean }[] = [];
      Object.assign(store, {
        setConnection: async (_id: string, _v: number, connection: string, _f: unknown, at: Date, e?: { kind: string; at: Date }) => {
          if (e) together.push({ connection, kind: e.kind, sameTime: e.at === at });
          else states.push({ connection, failure: null });
          return true;
        },
      });
      n = negotiator(charon, store, {}, v2.id);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await settle(30);
      expect(together).toEqual([
        { connection: 'connecting', kind: 'config', sameTime: true },
        { connection: 'connected', kind: 'attempt', sameTime: true },
      ]);
      // Nothing on this path goes alone: no line without its state, no state without its line.
      expect(events).toEqual([]);
      expect(states).toEqual([]);
    });
  });

  describe("charon's lines are kept 30 s, or while a step reads them (issue 20: a worker's heap under a retry storm)", () => {
    /** The negotiator's RECENT_LINES_MS: what a failed rekey's diagnosis reads, and how long lines are kept. */
    const RECENT_LINES_MS = 30_000;
    /** Waits (real time) until `check` holds, at most 2 s: a cold run is slower than a fixed settle. */
    async function until(check: () => boolean): Promise<void> {
      for (let waited = 0; !check() && waited < 2000; waited += 10) await settle(10);
    }
    /** Date.now() as the negotiator reads it: `skew` ms ahead of the real clock, or of `frozen` when set. */
    let skew = 0;
    let frozen: number | null = null;
    beforeEach(() => {
      skew = 0;
      frozen = null;
      const realNow = Date.now.bind(Date);
      jest.spyOn(Date, 'now').mockImplementation(() => (frozen ?? realNow()) + skew);
    });
    afterEach(() => {
      jest.restoreAllMocks();
      jest.useRealTimers();
    });

    it('holds the last 30 s of a tunnel that logs a line a second for 5 minutes, not 200 lines', () => {
      n = negotiator(new FakeCharon(), recordingStore().store, {}, v2.id);
      frozen = Date.now(); // only the simulated seconds pass, not the test's own milliseconds
      for (let s = 0; s < 300; s++) {
        skew = s * 1000;
        n.onLogLine(`sending retransmit ${s % 5} of request message ID 0, seq 1`);
      }
      expect(n.heldLines).toBe(RECENT_LINES_MS / 1000 + 1);
    });

    it("drops a quiet tunnel's lines once they are 30 s old, without waiting for another line", () => {
      jest.useFakeTimers({ now: Date.now() });
      jest.spyOn(Date, 'now'); // the fake clock, still counted
      n = negotiator(new FakeCharon(), recordingStore().store, {}, v2.id);
      n.onLogLine('initiating IKE_SA');
      jest.advanceTimersByTime(10_000);
      n.onLogLine('sending packet');
      jest.advanceTimersByTime(RECENT_LINES_MS - 10_000 - 1);
      expect(n.heldLines).toBe(2);
      jest.advanceTimersByTime(2000);
      expect(n.heldLines).toBe(1);
      jest.advanceTimersByTime(10_000);
      expect(n.heldLines).toBe(0);
    });

    /** A try that fails on its own lines (initiate's log is empty), `inside` ms passing between them. */
    async function slowFailedTry(inside: number) {
      skew = 0;
      const charon = new FakeCharon();
      charon.initiateResult = () => ({ success: false, errmsg: 'establishing CHILD_SA failed', log: [], response: {} }) as unknown as ControlResult;
      charon.onInitiated = async () => {
        n!.onLogLine('received NO_PROPOSAL_CHOSEN notify error');
        skew += inside; // the try goes on (its turn among the peer's, retransmits)
        n!.onLogLine('establishing IKE_SA failed');
      };
      const { store, events } = recordingStore();
      n = negotiator(charon, store, { timings: { triesBeforeFailed: 3, quickRetryMs: 60_000, failedRetryMs: 60_000 } }, v2.id);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await until(() => events.some((e) => e.kind === 'attempt'));
      const attempt = events.find((e) => e.kind === 'attempt')!;
      const held = n.heldLines;
      n.stop();
      return { attempt: { result: attempt.result, reasonCode: attempt.reasonCode, message: attempt.message, lines: attempt.lines }, held };
    }

    it('a try that takes longer than 30 s reads every line of it: the same diagnosis as a quick one; then they may go', async () => {
      const quick = await slowFailedTry(0);
      expect(quick.attempt).toMatchObject({ result: 'failure', reasonCode: 'ike_proposal_mismatch' });
      expect(quick.attempt.lines).toEqual(['[IKE] received NO_PROPOSAL_CHOSEN notify error', '[IKE] establishing IKE_SA failed']);
      const slow = await slowFailedTry(RECENT_LINES_MS + 10_000);
      expect(slow.attempt).toEqual(quick.attempt);
      // Once the try has read them, the first line (40 s old) is not kept for anyone.
      expect(slow.held).toBe(1);
    });

    it('the connect-time rekey check reads every line of it however long it waits (its PFS diagnosis unchanged)', async () => {
      const charon = new FakeCharon();
      const { store, events, states } = recordingStore();
      n = negotiator(charon, store, { timings: { triesBeforeFailed: 3, quickRetryMs: 60_000, failedRetryMs: 60_000 } }, v2.id);
      charon.onRekey = () => {
        n!.onLogLine('sending CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]');
        skew += RECENT_LINES_MS + 10_000;
        n!.onLogLine('received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built');
      };
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await until(() => events.some((e) => e.result === 'failure'));
      expect(states.at(-1)).toEqual({ connection: 'connecting', failure: { code: 'ipsec_proposal_mismatch' } });
      const failure = events.find((e) => e.result === 'failure')!;
      expect(failure.message).toMatch(/PFS setting differs/);
      expect(failure.lines).toEqual([
        '[IKE] sending CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]',
        '[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built',
      ]);
      expect(n.heldLines).toBe(1);
    });

    it("a failed rekey's diagnosis still reads the last 30 s of lines", async () => {
      const charon = new FakeCharon();
      takesRekeys(charon);
      const { store, events } = recordingStore();
      n = negotiator(charon, store, {}, v2.id);
      await n.apply({ render: v2, configVersion: 1, appliedVersion: null, resourceState: 'running' } as any);
      await until(() => n!.connection === 'connected');
      expect(n.connection).toBe('connected');
      frozen = Date.now();
      skew = 3_600_000;
      n.onLogLine('received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built');
      skew += RECENT_LINES_MS - 1000;
      n.onLogLine('CHILD_SA rekeying failed, trying again in 15 seconds');
      const rekey = events.find((e) => e.kind === 'rekey')!;
      expect(rekey).toMatchObject({ result: 'failure', reasonCode: 'ipsec_proposal_mismatch' });
      expect(rekey.lines).toEqual([
        '[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built',
        '[IKE] CHILD_SA rekeying failed, trying again in 15 seconds',
      ]);
    });
  });
});
