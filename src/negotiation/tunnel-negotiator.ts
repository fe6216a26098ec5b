// One tunnel on one charon: loads its config and secret, initiates it (unless the peer is
// 0.0.0.0), follows charon's up/down events and log, retries by the spec's policy and reports the
// connection state, its reason and each attempt's log. Desired state stays in PostgreSQL: this
// object only converges charon towards the version it was given.
//
// Work on charon's state (an attempt, re-reading the SAs after an event) runs one step at a time;
// signals (rekey events, log lines) are taken at once, so an attempt can wait for them.
//
// The data plane never waits on the control plane: every write to PostgreSQL (state, events) is
// handed over and not awaited (the worker's StateWriter keeps and retries them while PostgreSQL is
// away), and the next retry is scheduled before anything is written.
import { canInitiate, connName, optionsOf, RenderableTunnel, subnetPairs, usesPairChildren } from '../strongswan/tunnel-model';
import { childNames, renderLoadConn, renderLoadShared, sharedSecretId } from '../strongswan/vici-conn';
import { ControlResult, IkeSaEntry, ViciCommands } from '../vici';
import { ConnectionState } from '../common/states';
import { PairState } from '../vpn/tunnels/vpn-tunnel.entity';
import { childProposalList, ikeProposalList } from '../policy/policy';
import {
  classifyFailure,
  FailureContext,
  FailureReason,
  IkeFlavour,
  pfsMismatch,
  rekeyFailed,
  remoteDeletedChildSa,
  versionOrModeMismatch,
} from '../strongswan/failure-reasons';
import { Decision, INITIAL, NegotiationState, onDown, onFailure, onSuccess, RetryTimings } from './retry-policy';
import { DesiredTunnel, NegotiationStore, StoredFailure, TunnelEventInput } from './negotiation.queries';

/** What the negotiator writes about its tunnel (NegotiationStore, or its write-behind front). */
export type TunnelStateStore = Pick<NegotiationStore, 'markApplied' | 'markTunnelError' | 'setDegraded' | 'setPairStates' | 'recordEvent'> & {
  /** The connection state, and with `event` the log line saying why, in one write (NegotiationStore.setConnection under a fence). */
  setConnection(
    tunnelId: string,
    version: number,
    state: ConnectionState,
    failure: StoredFailure | null,
    at?: Date,
    event?: TunnelEventInput,
  ): Promise<boolean>;
};

export interface NegotiatorDeps {
  /** The gateway's long-lived command session (load/unload/list/rekey). */
  commands: ViciCommands;
  /** A short-lived session for one blocking initiate, so a silent peer never holds up others. */
  withSession<T>(fn: (c: ViciCommands) => Promise<T>): Promise<T>;
  /** Runs an initiation in its turn among this gateway's to the same peer address (default: at once). */
  paced?<T>(peerIp: string, fn: () => Promise<T>): Promise<T>;
  store: TunnelStateStore;
  timings: RetryTimings;
  initiateTimeoutMs: number;
  /** How long the connect-time rekey (the IKEv2 PFS check) may take before it counts as passed. */
  rekeyCheckTimeoutMs?: number;
  /** The IKE version and mode the peer was last seen initiating with (from the gateway's log). */
  peerFlavour?: (peerIp: string) => IkeFlavour | null;
  /**
   * charon's recent lines about IKE_SAs from this peer that matched no connection: a responder's
   * proposal refusal or an identity matching no config is logged before the conn name is known.
   */
  peerLines?: (peerIp: string) => string[];
  log(message: string): void;
}

/** One line of charon's log about this tunnel (the VICI `log` event). */
export interface TunnelLogLine {
  at: number;
  group: string;
  msg: string;
}

/**
 * A CHILD_SA lost this soon after the tunnel connected was refused by the remote, not an outage:
 * it counts as a failed try (backing off to the spec's 12 s) instead of an immediate reconnect,
 * which would loop as fast as the round trip.
 */
export const FLAP_WINDOW_MS = 10_000;
export const DEFAULT_REKEY_CHECK_TIMEOUT_MS = 10_000;
/** At most this many of charon's lines per tunnel, whatever their age (a flood of lines). */
const LOG_LINES_KEPT = 200;
/**
 * The lines that explain a failed rekey or reauthentication: its exchange and retransmissions.
 * Also how long charon's lines are kept, unless a running step (a try, the rekey check) reads them
 * later: kept whatever their age, a tunnel retrying against a silent peer held 200 lines after
 * 15-20 minutes, ~28 MiB of a worker's heap per 1,000 tunnels (issue 20, bench/retry-storm.ts).
 */
const RECENT_LINES_MS = 30_000;
/** The sweep of a quiet tunnel's old lines waits this much past the oldest's expiry (fewer timers). */
const LINE_SWEEP_SLACK_MS = 1000;

/** charon's lines that end a rekey of ours without a new SA. */
const REKEY_REFUSED = /CHILD_SA rekeying failed|no CHILD_SA built|not contained in any of our proposals|already retried with DH group/;
/** A rekey of an established tunnel failed (charon retries it until the SA expires). */
const REKEY_FAILED = /^(CHILD_SA|IKE_SA) rekeying failed/;
/** A reauthentication (IKEv1's rekey) failed: its CHILD_SAs went with the new IKE_SA. */
const REAUTH_FAILED = /^reauthentication failed/;

type RekeyOutcome = 'rekeyed' | 'refused' | 'timeout';
interface SaState {
  ikeEstablished: boolean;
  allInstalled: boolean;
  installed: Set<string>;
  /** The one CHILD_SA the connect-time rekey renews (rekeyTargetOf). */
  rekeyTarget?: string;
}

export class TunnelNegotiator {
  private desired: DesiredTunnel | null = null;
  private state: NegotiationState = { ...INITIAL };
  /** Cancels the pending try (null: none pending). */
  private timer: (() => void) | null = null;
  /** A step (attempt or SA re-read) is running: others wait for it or are folded into it. */
  private busy = false;
  /** An attempt was due while a step ran: it starts when the step ends. */
  private attemptDue = false;
  /** An up/down event came while a step ran: the SAs are re-read when it ends. */
  private eventDuringStep = false;
  private stopped = false;
  /** While we reload or tear down ourselves, charon's down events are ours, not an outage. */
  private quiet = false;
  private connectedAt = 0;
  /** The failed tries before the last connect: a flap continues that count instead of resetting it. */
  private triesBeforeConnect = 0;
  /** charon's recent lines about this tunnel, newest last: the last RECENT_LINES_MS, and what `readers` keep. */
  private readonly lines: TunnelLogLine[] = [];
  /** The running steps that will read charon's lines: each keeps the lines from its start on. */
  private readonly readers: number[] = [];
  /** Drops a quiet tunnel's lines once they are too old (set while lines are held). */
  private lineSweep: NodeJS.Timeout | null = null;
  private rekeyWaiter: ((o: RekeyOutcome) => void) | null = null;
  /** A rekey of the established tunnel failed: shown beside `connected` until a rekey succeeds. */
  private rekeyFailure: FailureReason | null = null;
  /** The pair states last written (IKEv1 with one child per pair), as a comparable key. */
  private pairKey: string | null = null;
  /** Down with DPD action clear or hold: the worker leaves it to the remote (or charon's trap) until the next version. */
  private parked = false;
  /** The gateway's route sync started with this version's apply: `connected` is reported once it settled. */
  private routesReady: Promise<unknown> | null = null;
  /**
   * The configuration was just loaded and charon holds no SA of it from before: the first try needs
   * no listing to know which children are missing (all of them), one VICI round trip less.
   */
  private freshlyLoaded = false;

  constructor(
    readonly tunnelId: string,
    private readonly deps: NegotiatorDeps,
  ) {}

  get version(): number | null {
    return this.desired?.configVersion ?? null;
  }

  get connection(): NegotiationState['connection'] {
    return this.state.connection;
  }

  get conn(): string {
    return connName(this.tunnelId);
  }

  /** Connected, but its last rekey failed: monitoring reports it unhealthy so alerts fire. */
  get degraded(): boolean {
    return this.state.connection === 'connected' && this.rekeyFailure !== null;
  }

  /**
   * Loads the tunnel at this version into charon and (re)starts negotiating. With `preloaded` the
   * caller has just loaded this version's secret and connection itself (a gateway's tunnels in one
   * pass: GatewayNegotiator.converge). With `routesReady` the gateway's routes are still being synced:
   * the tunnel is reported `connected` only once that settled (traffic needs them).
   */
  async apply(desired: DesiredTunnel, opts: { force?: boolean; preloaded?: boolean; routesReady?: Promise<unknown> } = {}): Promise<void> {
    const previous = this.desired;
    if (!opts.force && previous && previous.configVersion === desired.configVersion) return;
    this.desired = desired;
    this.stopped = false;
    this.clearTimer();
    // Set again once this version is loaded (a refused load leaves whatever charon had).
    this.freshlyLoaded = false;
    const t = desired.render;
    this.quiet = true;
    try {
      if (!opts.preloaded) {
        await this.deps.commands.loadShared(renderLoadShared(t));
        await this.deps.commands.loadConn(renderLoadConn(t, { keyingtries: 1 }));
      }
      // A replaced config only affects new SAs: drop the old ones so the new proposal is used.
      if (previous) await this.terminate();
    } catch (err) {
      this.quiet = false;
      const message = `charon refused the configuration: ${(err as Error).message}`;
      this.write('config error', () => this.deps.store.markTunnelError(this.tunnelId, desired.configVersion, message));
      this.event({ kind: 'config', result: 'failure', message, configVersion: desired.configVersion });
      return;
    }
    this.quiet = false;
    this.state = { ...INITIAL };
    this.rekeyFailure = null;
    this.pairKey = null;
    this.parked = false;
    this.routesReady = opts.routesReady ?? null;
    // Only when charon cannot hold SAs of this tunnel from before: we dropped them just now, or no
    // version was ever applied (a worker that took over a loaded charon may meet earlier SAs).
    this.freshlyLoaded = previous !== null || desired.appliedVersion === null;
    if (canInitiate(t)) this.schedule(0);
    const at = new Date();
    this.write('applied version', () => this.deps.store.markApplied(this.tunnelId, desired.configVersion));
    // The state and the log line saying why in one statement (one write less on the way to the next state).
    const loaded: TunnelEventInput = {
      kind: 'config',
      result: 'success',
      configVersion: desired.configVersion,
      message: canInitiate(t)
        ? `configuration v${desired.configVersion} loaded; initiating`
        : `configuration v${desired.configVersion} loaded; waiting for the remote to initiate (${t.peerIp === '0.0.0.0' ? 'peer 0.0.0.0' : 'response-only'})`,
      at,
    };
    this.write('connection state', () => this.deps.store.setConnection(this.tunnelId, desired.configVersion, 'connecting', null, at, loaded));
    if (!canInitiate(t)) await this.onSaEvent(false);
  }

  /**
   * A worker that restarted finds charon running with this tunnel loaded at this version (its
   * SAs up, its secret in place): it takes the tunnel over as it is. Nothing is reloaded or
   * terminated; the state is read from charon's SAs, and an installed tunnel keeps its stored
   * connectedAt. A tunnel charon holds without its SAs is initiated as after any outage.
   */
  async adopt(desired: DesiredTunnel): Promise<void> {
    this.desired = desired;
    this.stopped = false;
    this.quiet = false;
    this.clearTimer();
    this.freshlyLoaded = false;
    this.routesReady = null;
    this.state = { ...INITIAL };
    this.rekeyFailure = null;
    this.pairKey = null;
    this.parked = false;
    await this.step(async () => {
      const sas = await this.saState();
      this.reportPairs(sas.installed);
      if (sas.allInstalled) {
        // Up before this process started: not a connect-time flap, and not a new connection.
        this.state = { connection: 'connected', failedTries: 0, failure: null };
        this.connectedAt = Date.now() - FLAP_WINDOW_MS;
        if (desired.storedConnection !== 'connected')
          this.write('connection state', () => this.deps.store.setConnection(this.tunnelId, desired.configVersion, 'connected', null, new Date()));
        return;
      }
      if (canInitiate(desired.render)) this.schedule(0);
      if (desired.storedConnection === 'connected') {
        this.write('connection state', () => this.deps.store.setConnection(this.tunnelId, desired.configVersion, 'connecting', null, new Date()));
        this.event({
          kind: 'down',
          message: 'the IPsec SA was down when the worker took the gateway over; reconnecting',
          configVersion: desired.configVersion,
        });
      }
    });
  }

  /**
   * The reconciler's look at SAs, not only configurations: a tunnel that should be up and has no
   * SA, and no try pending (a retry lost to an error), is initiated; a `connected` tunnel without
   * its CHILD_SAs is reported down; and the stored state is rewritten when it differs from what
   * this negotiator knows from charon (writes lost while PostgreSQL was away).
   */
  async audit(stored: DesiredTunnel['storedConnection']): Promise<void> {
    if (this.stopped || this.quiet || !this.desired || this.busy) return;
    const desired = this.desired;
    await this.step(async () => {
      if (this.stopped || this.quiet || this.desired !== desired) return;
      const sas = await this.saState();
      this.reportPairs(sas.installed);
      if (sas.allInstalled !== (this.state.connection === 'connected')) {
        await this.examine(false, sas);
      } else if (!sas.allInstalled && !this.timer && !this.parked && canInitiate(desired.render)) {
        this.deps.log(`${this.tunnelId}: reconciler: no SA and no try pending; initiating`);
        this.schedule(0);
      } else if (stored !== this.state.connection) {
        this.writeState(new Date());
      }
    });
  }

  /** charon went away (a crash, a replacement): until it is reloaded, its events are not ours. */
  suspend(): void {
    this.quiet = true;
    this.clearTimer();
    this.rekeyWaiter?.('timeout');
  }

  /** charon told us something changed for this tunnel: re-read its SAs and report. */
  async onSaEvent(up: boolean): Promise<void> {
    if (this.stopped || this.quiet || !this.desired) return;
    if (this.busy) {
      // The running step reports after this event: read again once it is done.
      this.eventDuringStep = true;
      return;
    }
    await this.step(() => this.examine(up));
  }

  /** charon rekeyed this tunnel's IKE_SA or a CHILD_SA: a line in its connection log. */
  async onRekey(message: string, kind: 'ike' | 'child' = 'child'): Promise<void> {
    if (this.stopped || this.quiet || !this.desired) return;
    if (kind === 'child' && this.rekeyWaiter) {
      this.rekeyWaiter('rekeyed');
      return; // the check reports its own outcome
    }
    const version = this.desired.configVersion;
    this.event({ kind: 'rekey', result: 'success', message, configVersion: version });
    if (this.rekeyFailure && this.state.connection === 'connected') {
      this.rekeyFailure = null;
      this.write('rekey recovered', () => this.deps.store.setDegraded(this.tunnelId, version, null));
    }
  }

  /** A line charon logged about this tunnel (the gateway's `log` event stream). */
  onLogLine(msg: string, group = 'IKE', at = Date.now()): void {
    this.lines.push({ at, group, msg });
    this.pruneLines();
    if (this.stopped || this.quiet || !this.desired) return;
    if (this.rekeyWaiter) {
      if (REKEY_REFUSED.test(msg)) this.rekeyWaiter('refused');
      return;
    }
    const failed = REKEY_FAILED.exec(msg);
    if (failed && this.state.connection === 'connected') {
      this.onRekeyFailed(failed[1] as 'IKE_SA' | 'CHILD_SA');
    } else if (REAUTH_FAILED.test(msg)) {
      void this.onReauthFailed().catch((err) => this.deps.log(`${this.tunnelId}: handling a failed reauthentication: ${(err as Error).message}`));
    }
  }

  /** The CHILD_SAs this tunnel has when it is up (monitoring's health); none before it is loaded. */
  expectedChildren(): string[] {
    return this.desired ? childNames(this.desired.render) : [];
  }

  /** After a charon restart: everything it had is gone, load it again. */
  async reload(): Promise<void> {
    if (this.desired) await this.apply(this.desired, { force: true });
  }

  /** How many of charon's lines this negotiator holds (the retry-storm bench reads the heap's). */
  get heldLines(): number {
    return this.lines.length;
  }

  async remove(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.clearLineSweep();
    this.quiet = true;
    await this.terminate();
    await this.deps.commands.unloadConn(this.conn).catch(() => undefined);
    await this.deps.commands.unloadShared(sharedSecretId(this.tunnelId)).catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.clearLineSweep();
    this.rekeyWaiter?.('timeout');
  }

  private async terminate(): Promise<void> {
    await this.deps.commands.terminate({ ike: this.conn, force: true, timeout: -1 }).catch(() => undefined);
  }

  private schedule(ms: number | null): void {
    this.clearTimer();
    if (ms === null || this.stopped || !this.desired || !canInitiate(this.desired.render)) return;
    const due = () => {
      this.timer = null;
      if (this.busy) {
        this.attemptDue = true;
        return;
      }
      this.step(() => this.attempt()).catch((err) => {
        // charon went away mid-attempt, or VICI timed out: not the tunnel's failure. Try again
        // after the quick retry (a charon restart suspends us until it reloads the tunnel).
        this.deps.log(`${this.tunnelId}: attempt interrupted (${(err as Error).message}); retrying in ${this.deps.timings.quickRetryMs} ms`);
        if (!this.timer && !this.quiet) this.schedule(this.deps.timings.quickRetryMs);
      });
    };
    // Now means after this turn's I/O callbacks, not setTimeout's 1 ms at least: a new tunnel's
    // first try is on its way to connected.
    if (ms === 0) {
      const immediate = setImmediate(due);
      this.timer = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(due, ms);
      this.timer = () => clearTimeout(timeout);
    }
  }

  private clearTimer(): void {
    this.timer?.();
    this.timer = null;
  }

  /** Runs one step; what came in meanwhile (an event, a due attempt) runs after it. */
  private async step(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await fn();
    } finally {
      this.busy = false;
      if (this.eventDuringStep) {
        this.eventDuringStep = false;
        void this.onSaEvent(false).catch((err) => this.deps.log(`${this.tunnelId}: re-reading SAs failed: ${(err as Error).message}`));
      } else if (this.attemptDue) {
        this.attemptDue = false;
        this.schedule(0);
      }
    }
  }

  /** Reports what charon's SAs say; `known` is a listing the caller has just read (and reported pairs of). */
  private async examine(up: boolean, known?: SaState): Promise<void> {
    if (this.stopped || this.quiet || !this.desired) return;
    const desired = this.desired;
    const sas = known ?? (await this.saState());
    if (!known) this.reportPairs(sas.installed);
    if (sas.allInstalled && this.state.connection !== 'connected') {
      this.clearTimer();
      this.parked = false;
      await this.confirmConnected({ kind: 'connected', message: up ? 'CHILD_SA up (charon event)' : 'CHILD_SA installed' }, [], sas.rekeyTarget);
    } else if (!sas.allInstalled && this.state.connection === 'connected') {
      if (Date.now() - this.connectedAt < FLAP_WINDOW_MS) {
        const reason = remoteDeletedChildSa(failureContext(desired.render));
        const decision = onFailure({ ...this.state, failedTries: this.triesBeforeConnect }, reason, this.deps.timings);
        await this.report(decision, { kind: 'down', result: 'failure', phase: 2, reasonCode: reason.code, message: reason.message });
        return;
      }
      const { action } = optionsOf(desired.render).dpd;
      this.parked = action !== 'restart' && canInitiate(desired.render);
      const next =
        action === 'clear'
          ? 'dpd action clear: waiting for the remote to initiate'
          : action === 'hold'
            ? 'dpd action hold: traffic to the remote subnets brings it back'
            : 'reconnecting';
      await this.report(onDown(action), { kind: 'down', message: `the IPsec SA went down (dead peer detection, remote delete or expiry); ${next}` });
    }
  }

  private async attempt(): Promise<void> {
    if (this.stopped || !this.desired) return;
    const desired = this.desired;
    // Only the children that are not up: re-initiating an installed one would leave a duplicate
    // SA beside it until it expires (IKEv1 multi-subnet retries leaked ~300 an hour).
    const started = Date.now();
    // A remote that initiated meanwhile makes ours join or duplicate its IKE_SA, as it could
    // between a listing and our initiate: the SAs are read after the try either way.
    const fresh = this.freshlyLoaded;
    this.freshlyLoaded = false;
    const results: ControlResult[] = [];
    // charon's lines about this tunnel during the attempt: an initiate that joined an IKE_SA charon
    // was already negotiating (re-establishing after a failed reauthentication) streams none. Kept
    // however long the try takes (its turn among the peer's, the initiate's timeout).
    let ownLines: string[];
    const release = this.keepLinesFrom(started);
    try {
      const before: Pick<SaState, 'installed'> = fresh ? { installed: new Set() } : await this.saState();
      const missing = childNames(desired.render).filter((c) => !before.installed.has(c));
      const initiate = async () => {
        for (const child of missing) {
          const r = await this.deps.withSession((c) =>
            c.initiate({ child, ike: this.conn, timeout: this.deps.initiateTimeoutMs, loglevel: 1, timeoutMs: this.deps.initiateTimeoutMs + 5000 }),
          );
          results.push(r);
          if (!r.success) break;
        }
      };
      await (this.deps.paced ? this.deps.paced(desired.render.peerIp, initiate) : initiate());
      if (this.stopped || this.desired !== desired) return; // re-configured meanwhile
      ownLines = this.linesSince(started);
    } finally {
      release();
    }
    const controlLines = results.flatMap((r) => r.log.map((l) => `[${l.group}] ${l.msg}`));
    const lines = controlLines.length ? controlLines : ownLines;
    const failed = results.find((r) => !r.success);
    // charon answers success once a CHILD_SA is up; the remote may have deleted it since, or
    // brought it up itself meanwhile (both sides initiate: charon then refuses ours as a duplicate).
    const sas = await this.saState();
    this.reportPairs(sas.installed);
    if (sas.allInstalled) {
      const message = failed ? "IKE and IPsec SAs established (by the remote's initiation)" : 'IKE and IPsec SAs established';
      await this.confirmConnected({ kind: 'attempt', result: 'success', message, lines }, lines, sas.rekeyTarget);
      return;
    }
    const ctx = failureContext(desired.render);
    // The peer's own tries, seen as responder, say what it offered and which id it sent.
    const peerLines = this.deps.peerLines?.(desired.render.peerIp) ?? [];
    let reason = failed ? classifyFailure([...peerLines, ...lines], ctx, failed.errmsg, sas.ikeEstablished) : remoteDeletedChildSa(ctx);
    const seen = this.deps.peerFlavour?.(desired.render.peerIp) ?? null;
    reason = versionOrModeMismatch(reason, flavourOf(desired.render), seen);
    await this.report(onFailure(this.state, reason, this.deps.timings), {
      kind: 'attempt',
      result: 'failure',
      phase: reason.phase,
      reasonCode: reason.code,
      message: reason.message,
      lines,
    });
  }

  /**
   * Every child is installed. IKEv2 built the first CHILD_SA inside IKE_AUTH without a DH
   * exchange, so a PFS mismatch would only show at the first rekey, a day later: rekey it now
   * (make-before-break, traffic unaffected) and treat a refusal as the phase 2 failure it is.
   */
  private async confirmConnected(event: TunnelEventInput, attemptLines: string[], rekeyTarget: string | undefined): Promise<void> {
    const desired = this.desired!;
    if (desired.render.ike.version === 'v2') {
      const check = await this.rekeyCheck(rekeyTarget);
      if (this.stopped || this.desired !== desired) return;
      if (check.outcome === 'refused') {
        const reason = pfsMismatch(String(desired.render.ipsec.pfsGroup));
        this.quiet = true;
        await this.terminate();
        this.quiet = false;
        await this.report(onFailure(this.state, reason, this.deps.timings), {
          kind: 'attempt',
          result: 'failure',
          phase: 2,
          reasonCode: reason.code,
          message: reason.message,
          lines: [...attemptLines, ...check.lines],
        });
        return;
      }
      if (check.outcome === 'timeout') this.deps.log(`${this.tunnelId}: the connect-time rekey had no outcome within its wait; taken as passed`);
    }
    if (this.routesReady) {
      // Settled either way: a failed sync fails the job, which BullMQ retries; the SAs are up.
      await this.routesReady.catch(() => undefined);
      this.routesReady = null;
      if (this.stopped || this.desired !== desired) return;
    }
    await this.report(onSuccess(), event);
  }

  /**
   * Rekeys one CHILD_SA, `childId` (charon's unique id) when the listing named one, else every
   * CHILD_SA of the tunnel's first child name. One is enough to prove the PFS group; by name,
   * with both ends initiating (2-3 CHILD_SAs of the same name), it sent that many CREATE_CHILD_SAs
   * at a remote that had just built them.
   */
  private async rekeyCheck(childId: string | undefined): Promise<{ outcome: RekeyOutcome; lines: string[] }> {
    const since = Date.now();
    // Its lines are kept until it has read them, however long it waits (nothing below throws).
    const release = this.keepLinesFrom(since);
    const outcome = new Promise<RekeyOutcome>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.deps.rekeyCheckTimeoutMs ?? DEFAULT_REKEY_CHECK_TIMEOUT_MS);
      this.rekeyWaiter = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
    });
    try {
      const { matches } = await this.deps.commands.rekey(childId ? { childId } : { child: childNames(this.desired!.render)[0] });
      if (!matches) this.rekeyWaiter?.('timeout');
    } catch (err) {
      this.deps.log(`${this.tunnelId}: connect-time rekey not sent: ${(err as Error).message}`);
      this.rekeyWaiter?.('timeout');
    }
    const result = await outcome;
    this.rekeyWaiter = null;
    const lines = this.linesSince(since);
    release();
    return { outcome: result, lines };
  }

  private onRekeyFailed(what: 'IKE_SA' | 'CHILD_SA'): void {
    const desired = this.desired!;
    const recent = this.linesSince(Date.now() - RECENT_LINES_MS);
    const reason = rekeyFailed(what, recent);
    const first = this.rekeyFailure === null;
    this.rekeyFailure = reason;
    this.event({
      kind: 'rekey',
      result: 'failure',
      phase: reason.phase,
      reasonCode: reason.code,
      message: reason.message,
      lines: recent,
      configVersion: desired.configVersion,
    });
    if (first) this.write('rekey failure', () => this.deps.store.setDegraded(this.tunnelId, desired.configVersion, { ...reason, tries: 1 }));
  }

  /**
   * The remote refused the new IKE_SA of a reauthentication (IKEv1 rekeys so; its configuration
   * changed, say). The CHILD_SAs moved to that IKE_SA and are gone, and charon's own re-establishing
   * try would hold up our initiates on a dead IKE_SA: drop every SA of the tunnel, say why in the
   * log, and let the down event reconnect it the usual way (whose tries then show the reason).
   */
  private async onReauthFailed(): Promise<void> {
    const desired = this.desired!;
    const recent = this.linesSince(Date.now() - RECENT_LINES_MS);
    const classified = classifyFailure(recent, failureContext(desired.render));
    const reason = classified.code === 'unknown' ? rekeyFailed('IKE_SA', recent) : classified;
    await this.terminate();
    this.event({
      kind: 'rekey',
      result: 'failure',
      phase: 1,
      reasonCode: reason.code,
      configVersion: desired.configVersion,
      lines: recent,
      message: `Reauthenticating the IKE_SA (the rekey of IKEv1) failed: ${reason.message}`,
    });
  }

  /**
   * The retry (or reconnect) is scheduled first, whatever the writes below do: PostgreSQL being
   * away must never leave a tunnel down (issue 12: a site restart during an outage stayed down).
   * A newer version or a delete reaches this negotiator through apply/remove, and the writes are
   * guarded by configVersion in SQL, so a stale report is harmless.
   */
  private async report(d: Decision, event: TunnelEventInput): Promise<void> {
    const desired = this.desired!;
    const changed = d.next.connection !== this.state.connection || d.next.failure?.code !== this.state.failure?.code;
    if (d.next.connection === 'connected' && this.state.connection !== 'connected') {
      this.connectedAt = Date.now();
      this.triesBeforeConnect = this.state.failedTries;
    }
    this.state = d.next;
    if (d.next.connection !== 'connected') this.rekeyFailure = null;
    this.schedule(d.retryInMs);
    const at = new Date();
    const line = { ...event, configVersion: desired.configVersion };
    if (changed || d.next.connection !== 'connecting') this.writeState(at, line);
    else this.event(line, at);
  }

  /**
   * The connection state this negotiator holds, written (version-guarded) in the background; with
   * `event`, the log line about it in the same statement, at the state's time.
   */
  private writeState(at: Date, event?: TunnelEventInput): void {
    const desired = this.desired!;
    const s = this.state;
    const failure: StoredFailure | null =
      s.connection === 'connected' || !s.failure ? null : { code: s.failure.code, message: s.failure.message, phase: s.failure.phase, tries: s.failedTries };
    this.write('connection state', () =>
      this.deps.store.setConnection(this.tunnelId, desired.configVersion, s.connection, failure, at, event && { ...event, at }),
    );
  }

  /** IKEv1 with one child per subnet pair: which pairs are up, written when it changes. */
  private reportPairs(installed: Set<string>): void {
    const t = this.desired!.render;
    if (!usesPairChildren(t)) return;
    const pairs: PairState[] = subnetPairs(t).map((p) => ({ local: p.local, remote: p.remote, up: installed.has(p.name) }));
    const key = JSON.stringify(pairs);
    if (key === this.pairKey) return;
    this.pairKey = key;
    const version = this.desired!.configVersion;
    this.write('pair states', () => this.deps.store.setPairStates(this.tunnelId, version, pairs));
  }

  /** A write handed over, not awaited: its failure is logged (the write-behind store retries it). */
  private write(label: string, fn: () => Promise<unknown>): void {
    let p: Promise<unknown>;
    try {
      p = fn();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err) => this.deps.log(`${this.tunnelId}: ${label} not stored: ${(err as Error).message}`));
  }

  private event(e: TunnelEventInput, at = new Date()): void {
    this.write('event', () => this.deps.store.recordEvent(this.tunnelId, { ...e, at }));
  }

  /** charon's lines about this tunnel since `since`, as the connection log shows them. */
  private linesSince(since: number): string[] {
    return this.lines.filter((l) => l.at >= since).map((l) => `[${l.group}] ${l.msg}`);
  }

  /**
   * A step that will read charon's lines from `since` on (linesSince) keeps them until it calls the
   * returned release, however long it runs; only then may they age out.
   */
  private keepLinesFrom(since: number): () => void {
    this.readers.push(since);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.readers.splice(this.readers.indexOf(since), 1);
      this.pruneLines();
    };
  }

  /**
   * Drops the lines no reader needs: older than RECENT_LINES_MS (what a rekey failure's diagnosis
   * reads, at once) and older than every running step's start; then the oldest past LOG_LINES_KEPT.
   */
  private pruneLines(now = Date.now()): void {
    let keepFrom = now - RECENT_LINES_MS;
    for (const since of this.readers) keepFrom = Math.min(keepFrom, since);
    let drop = 0;
    while (drop < this.lines.length && this.lines[drop].at < keepFrom) drop++;
    drop = Math.max(drop, this.lines.length - LOG_LINES_KEPT);
    if (drop > 0) this.lines.splice(0, drop);
    // A reader's release prunes again; otherwise the oldest line's expiry does.
    if (this.lineSweep || !this.lines.length || this.readers.length) return;
    const due = Math.max(0, this.lines[0].at + RECENT_LINES_MS - now) + LINE_SWEEP_SLACK_MS;
    this.lineSweep = setTimeout(() => {
      this.lineSweep = null;
      this.pruneLines();
    }, due);
    this.lineSweep.unref();
  }

  private clearLineSweep(): void {
    if (this.lineSweep) clearTimeout(this.lineSweep);
    this.lineSweep = null;
  }

  private async saState(): Promise<SaState> {
    // Not noblock: charon would skip an IKE SA busy right after an initiate and we would read "down".
    const sas = (await this.deps.commands.listSas({ ike: this.conn })).filter((s) => s.sa.state === 'ESTABLISHED');
    const installed = new Set(sas.flatMap((s) => s.children.filter((c) => c.state === 'INSTALLED').map((c) => c.name)));
    const names = childNames(this.desired!.render);
    return { ikeEstablished: sas.length > 0, allInstalled: names.every((n) => installed.has(n)), installed, rekeyTarget: rekeyTargetOf(sas, names[0]) };
  }
}

/**
 * The CHILD_SA named `child` the connect-time rekey renews: one on an IKE_SA this gateway
 * initiated, else the newest. A CHILD_SA on the remote's IKE_SA is the one the remote may still be
 * processing (it sent the IKE_AUTH whose answer built it); on our own, the remote's part ended
 * with its answer.
 */
export function rekeyTargetOf(sas: IkeSaEntry[], child: string): string | undefined {
  const candidates = sas.flatMap((s) =>
    // list-sas says initiator=yes on an IKE_SA this charon initiated.
    s.children
      .filter((c) => c.name === child && c.state === 'INSTALLED' && c.uniqueid)
      .map((c) => ({ ours: s.sa.initiator === 'yes', id: Number(c.uniqueid) })),
  );
  candidates.sort((a, b) => Number(b.ours) - Number(a.ours) || b.id - a.id);
  return candidates[0] && String(candidates[0].id);
}

function failureContext(t: RenderableTunnel): FailureContext {
  return {
    localCidrs: t.localCidrs,
    remoteCidrs: t.remoteCidrs,
    localId: t.ike.localId,
    remoteId: t.ike.remoteId,
    ikeProposals: ikeProposalList(t.ike),
    childProposals: childProposalList(t.ipsec),
    childProtocol: t.ipsec.protocol,
  };
}

function flavourOf(t: RenderableTunnel): IkeFlavour {
  if (t.ike.version === 'v2') return 'IKEv2';
  return t.ike.exchangeMode === 'aggressive' ? 'IKEv1 aggressive mode' : 'IKEv1 main mode';
}
