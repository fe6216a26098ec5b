// One tunnel on one charon: loads its config and secret, initiates it (unless the peer is
// 0.0.0.0), follows charon's up/down events, retries by the spec's policy and reports the
// connection state, its reason and each attempt's log. Desired state stays in PostgreSQL: this
// object only converges charon towards the version it was given.
import { canInitiate, connName, RenderableTunnel } from '../strongswan/tunnel-model';
import { childNames, renderLoadConn, renderLoadShared, sharedSecretId } from '../strongswan/vici-conn';
import { ControlResult, ViciCommands } from '../vici';
import { classifyFailure, remoteDeletedChildSa } from './failure-reasons';
import { Decision, INITIAL, NegotiationState, onDown, onFailure, onSuccess, RetryTimings } from './retry-policy';
import { DesiredTunnel, NegotiationStore } from './negotiation-store';

export interface NegotiatorDeps {
  /** The gateway's long-lived command session (load/unload/list). */
  commands: ViciCommands;
  /** A short-lived session for one blocking initiate, so a silent peer never holds up others. */
  withSession<T>(fn: (c: ViciCommands) => Promise<T>): Promise<T>;
  store: NegotiationStore;
  timings: RetryTimings;
  initiateTimeoutMs: number;
  log(message: string): void;
}

/**
 * A CHILD_SA lost this soon after the tunnel connected was refused by the remote, not an outage:
 * it counts as a failed try (backing off to the spec's 12 s) instead of an immediate reconnect,
 * which would loop as fast as the round trip.
 */
export const FLAP_WINDOW_MS = 10_000;

export class TunnelNegotiator {
  private desired: DesiredTunnel | null = null;
  private state: NegotiationState = { ...INITIAL };
  private timer: NodeJS.Timeout | null = null;
  private attempting = false;
  private stopped = false;
  /** While we reload or tear down ourselves, charon's down events are ours, not an outage. */
  private quiet = false;
  /** An up/down event came while an attempt ran: its outcome must be re-read once it is done. */
  private eventDuringAttempt = false;
  private connectedAt = 0;
  /** The failed tries before the last connect: a flap continues that count instead of resetting it. */
  private triesBeforeConnect = 0;

  constructor(readonly tunnelId: string, private readonly deps: NegotiatorDeps) {}

  get version(): number | null {
    return this.desired?.configVersion ?? null;
  }

  get connection(): NegotiationState['connection'] {
    return this.state.connection;
  }

  get conn(): string {
    return connName(this.tunnelId);
  }

  /** Loads the tunnel at this version into charon and (re)starts negotiating. */
  async apply(desired: DesiredTunnel, opts: { force?: boolean } = {}): Promise<void> {
    const previous = this.desired;
    if (!opts.force && previous && previous.configVersion === desired.configVersion) return;
    this.desired = desired;
    this.stopped = false;
    this.clearTimer();
    const t = desired.render;
    this.quiet = true;
    try {
      await this.deps.commands.loadShared(renderLoadShared(t));
      await this.deps.commands.loadConn(renderLoadConn(t, { keyingtries: 1 }));
      // A replaced config only affects new SAs: drop the old ones so the new proposal is used.
      if (previous) await this.terminate();
    } catch (err) {
      this.quiet = false;
      const message = `charon refused the configuration: ${(err as Error).message}`;
      await this.deps.store.markTunnelError(this.tunnelId, desired.configVersion, message);
      await this.deps.store.recordEvent(this.tunnelId, { kind: 'config', result: 'failure', message, configVersion: desired.configVersion });
      return;
    }
    this.quiet = false;
    this.state = { ...INITIAL };
    await this.deps.store.markApplied(this.tunnelId, desired.configVersion);
    await this.deps.store.setConnection(this.tunnelId, desired.configVersion, 'connecting', null);
    await this.deps.store.recordEvent(this.tunnelId, {
      kind: 'config', result: 'success', configVersion: desired.configVersion,
      message: canInitiate(t) ? `configuration v${desired.configVersion} loaded; initiating` : `configuration v${desired.configVersion} loaded; waiting for the remote to initiate (peer 0.0.0.0)`,
    });
    if (canInitiate(t)) this.schedule(0);
    else await this.refreshFromSas();
  }

  /** charon told us something changed for this tunnel: re-read its SAs and report. */
  async onSaEvent(up: boolean): Promise<void> {
    if (this.stopped || this.quiet || !this.desired) return;
    // The attempt may report after this read (and overwrite what it finds): read again after it.
    if (this.attempting) this.eventDuringAttempt = true;
    const installed = await this.allChildrenInstalled();
    if (installed && this.state.connection !== 'connected') {
      this.clearTimer();
      await this.report(onSuccess(), { kind: 'connected', message: up ? 'CHILD_SA up (charon event)' : 'CHILD_SA installed' });
    } else if (!installed && this.state.connection === 'connected') {
      if (Date.now() - this.connectedAt < FLAP_WINDOW_MS) {
        const reason = remoteDeletedChildSa(failureContext(this.desired.render));
        const decision = onFailure({ ...this.state, failedTries: this.triesBeforeConnect }, reason, this.deps.timings);
        await this.report(decision, { kind: 'down', result: 'failure', phase: 2, reasonCode: reason.code, message: reason.message });
        return;
      }
      await this.report(onDown(), { kind: 'down', message: 'the IPsec SA went down (dead peer detection, remote delete or expiry); reconnecting' });
    }
  }

  /** charon rekeyed this tunnel's IKE_SA or a CHILD_SA: a line in its connection log. */
  async onRekey(message: string): Promise<void> {
    if (this.stopped || this.quiet || !this.desired) return;
    await this.deps.store.recordEvent(this.tunnelId, { kind: 'rekey', result: 'success', message, configVersion: this.desired.configVersion });
  }

  /** The CHILD_SAs this tunnel has when it is up (monitoring's health); none before it is loaded. */
  expectedChildren(): string[] {
    return this.desired ? childNames(this.desired.render) : [];
  }

  /** After a charon restart: everything it had is gone, load it again. */
  async reload(): Promise<void> {
    if (this.desired) await this.apply(this.desired, { force: true });
  }

  async remove(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.quiet = true;
    await this.terminate();
    await this.deps.commands.unloadConn(this.conn).catch(() => undefined);
    await this.deps.commands.unloadShared(sharedSecretId(this.tunnelId)).catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async terminate(): Promise<void> {
    await this.deps.commands.terminate({ ike: this.conn, force: true, timeout: -1 }).catch(() => undefined);
  }

  private schedule(ms: number | null): void {
    this.clearTimer();
    if (ms === null || this.stopped || !this.desired || !canInitiate(this.desired.render)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt().catch((err) => this.deps.log(`${this.tunnelId}: attempt crashed: ${(err as Error).message}`));
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async attempt(): Promise<void> {
    if (this.attempting || this.stopped || !this.desired) return;
    this.attempting = true;
    const desired = this.desired;
    try {
      const results: ControlResult[] = [];
      for (const child of childNames(desired.render)) {
        const r = await this.deps.withSession((c) =>
          c.initiate({ child, ike: this.conn, timeout: this.deps.initiateTimeoutMs, loglevel: 1, timeoutMs: this.deps.initiateTimeoutMs + 5000 }),
        );
        results.push(r);
        if (!r.success) break;
      }
      if (this.stopped || this.desired !== desired) return; // re-configured meanwhile
      const lines = results.flatMap((r) => r.log.map((l) => `[${l.group}] ${l.msg}`));
      const failed = results.find((r) => !r.success);
      if (!failed) {
        // charon answers success once a CHILD_SA is up; the remote may have deleted it since.
        if ((await this.saState()).allInstalled) {
          await this.report(onSuccess(), { kind: 'attempt', result: 'success', message: 'IKE and IPsec SAs established', lines });
        } else {
          const reason = remoteDeletedChildSa(failureContext(desired.render));
          await this.report(onFailure(this.state, reason, this.deps.timings), { kind: 'attempt', result: 'failure', phase: 2, reasonCode: reason.code, message: reason.message, lines });
        }
        return;
      }
      // The remote may have brought the SAs up itself meanwhile (both sides initiate: charon then
      // refuses ours as a duplicate): what counts is whether the SAs are there now.
      const sas = await this.saState();
      if (sas.allInstalled) {
        await this.report(onSuccess(), { kind: 'attempt', result: 'success', message: 'IKE and IPsec SAs established (by the remote\'s initiation)', lines });
        return;
      }
      const reason = classifyFailure(lines, failureContext(desired.render), failed.errmsg, sas.ikeEstablished);
      const decision = onFailure(this.state, reason, this.deps.timings);
      await this.report(decision, { kind: 'attempt', result: 'failure', phase: reason.phase, reasonCode: reason.code, message: reason.message, lines });
    } catch (err) {
      // The socket itself failed (charon restarting?): count nothing, try again a little later.
      this.deps.log(`${this.tunnelId}: initiate failed: ${(err as Error).message}`);
      this.schedule(this.deps.timings.quickRetryMs);
    } finally {
      this.attempting = false;
      if (this.eventDuringAttempt) {
        this.eventDuringAttempt = false;
        void this.onSaEvent(false).catch((err) => this.deps.log(`${this.tunnelId}: re-reading SAs failed: ${(err as Error).message}`));
      }
    }
  }

  private async report(d: Decision, event: Parameters<NegotiationStore['recordEvent']>[1]): Promise<void> {
    const desired = this.desired!;
    const changed = d.next.connection !== this.state.connection || d.next.failure?.code !== this.state.failure?.code;
    if (d.next.connection === 'connected' && this.state.connection !== 'connected') {
      this.connectedAt = Date.now();
      this.triesBeforeConnect = this.state.failedTries;
    }
    this.state = d.next;
    await this.deps.store.recordEvent(this.tunnelId, { ...event, configVersion: desired.configVersion });
    if (changed || d.next.connection !== 'connecting') {
      const failure = d.next.connection === 'connected' ? null : d.next.failure ? { code: d.next.failure.code, message: d.next.failure.message } : null;
      const current = await this.deps.store.setConnection(this.tunnelId, desired.configVersion, d.next.connection, failure);
      if (!current) return; // a newer version (or a delete) took over
    }
    this.schedule(d.retryInMs);
  }

  private async saState(): Promise<{ ikeEstablished: boolean; allInstalled: boolean }> {
    // Not noblock: charon would skip an IKE SA busy right after an initiate and we would read "down".
    const sas = (await this.deps.commands.listSas({ ike: this.conn })).filter((s) => s.sa.state === 'ESTABLISHED');
    const installed = new Set(sas.flatMap((s) => s.children.filter((c) => c.state === 'INSTALLED').map((c) => c.name)));
    return { ikeEstablished: sas.length > 0, allInstalled: childNames(this.desired!.render).every((n) => installed.has(n)) };
  }

  private async allChildrenInstalled(): Promise<boolean> {
    return (await this.saState()).allInstalled;
  }

  private async refreshFromSas(): Promise<void> {
    if (await this.allChildrenInstalled()) await this.report(onSuccess(), { kind: 'connected', message: 'CHILD_SA installed' });
  }
}

function failureContext(t: RenderableTunnel) {
  return { localCidrs: t.localCidrs, remoteCidrs: t.remoteCidrs, localId: t.ike.localId, remoteId: t.ike.remoteId };
}
