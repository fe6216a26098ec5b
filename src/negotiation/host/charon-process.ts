// One supervised charon per gateway, inside the gateway's namespace with a private /run (charon's
// pid file path is compiled in), its own strongswan.conf and a VICI socket in the gateway's
// directory, reachable from the worker outside the namespace.
import { spawn, ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import {
  assertCharonPaths,
  charonPaths,
  CharonPaths,
  DataPlane,
  DEFAULT_CHARON_PATH,
  DEFAULT_GATEWAYS_DIR,
  renderCharonConf,
  RetransmitSettings,
} from './charon-config';
import { isAlive, processMentions, readPidFile, removeFile, rotateIfLarge, sleep, tailFile, terminate } from './process-files';
import { viciVersion } from './vici-probe';
import { createLogger, StructuredLogger } from '../../common/structured-log';

/** The levels the gateway runtime writes at; the worker passes its structured logger. */
export type HostLogger = Pick<StructuredLogger, 'log' | 'warn' | 'error'>;

/** For a runtime built without the worker's logger (scripts, tests): the same structured lines at the default level. */
export const defaultHostLogger: HostLogger = createLogger({ context: 'gateway-host' });

export interface CharonProcessOptions {
  gatewayId: string;
  namespace: string;
  baseDir?: string;
  charonPath?: string;
  dataPlane?: DataPlane;
  retransmit?: RetransmitSettings;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  // Delays before successive restarts after unexpected exits; the last one repeats.
  restartBackoffMs?: readonly number[];
  // A charon that stayed up this long resets the back-off.
  stableAfterMs?: number;
  onRestart?: (gatewayId: string) => void;
  /** Every restart, supervised or forced, with its reason: an operator-visible event. */
  onRestartNotice?: (gatewayId: string, reason: string) => void;
  /** How long VICI may stay unanswered (process alive, socket there) before charon counts as wedged. */
  wedgedAfterMs?: number;
  /** At most one forced restart (of a wedged charon) per this period. */
  minForcedRestartIntervalMs?: number;
  /** The liveness probe's wait for charon's answer to `version`. */
  probeTimeoutMs?: number;
  /** How often an adopted charon (not our child: no exit event) is checked for life. */
  adoptedWatchMs?: number;
  logger?: HostLogger;
}

// `$1` = strongswan.conf, `$2` = charon binary: passed as arguments, never interpolated.
const LAUNCH_SCRIPT = 'mount -t tmpfs none /var/run && STRONGSWAN_CONF="$1" exec "$2"';
const MAX_LOG_BYTES = 32 * 1024 * 1024;

export class CharonProcess {
  readonly gatewayId: string;
  readonly paths: CharonPaths;
  private readonly o: Required<Omit<CharonProcessOptions, 'onRestart' | 'onRestartNotice' | 'retransmit'>> &
    Pick<CharonProcessOptions, 'onRestart' | 'onRestartNotice' | 'retransmit'>;
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartAttempt = 0;
  private starting: Promise<void> | null = null;
  /** Since when VICI has not answered a liveness probe (0: it answered the last one). */
  private unansweredSince = 0;
  private lastForcedRestartAt = 0;
  /** A charon a previous worker started, taken over as it runs (not our child). */
  private adoptedPid: number | null = null;
  private adoptedWatch: NodeJS.Timeout | null = null;

  constructor(options: CharonProcessOptions) {
    this.o = {
      baseDir: DEFAULT_GATEWAYS_DIR,
      charonPath: DEFAULT_CHARON_PATH,
      dataPlane: 'libipsec',
      startTimeoutMs: 15_000,
      stopTimeoutMs: 5_000,
      restartBackoffMs: [500, 1_000, 2_000, 5_000, 10_000, 30_000],
      stableAfterMs: 60_000,
      wedgedAfterMs: 90_000,
      minForcedRestartIntervalMs: 300_000,
      probeTimeoutMs: 5_000,
      adoptedWatchMs: 1_000,
      logger: defaultHostLogger,
      // An option passed as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CharonProcessOptions),
    };
    this.gatewayId = options.gatewayId;
    this.paths = charonPaths(this.o.baseDir, options.gatewayId);
    assertCharonPaths(this.paths);
  }

  get viciSocket(): string {
    return this.paths.viciSocket;
  }

  get pid(): number | null {
    return this.child?.pid ?? this.adoptedPid;
  }

  isRunning(): boolean {
    if (this.adoptedPid !== null) return isAlive(this.adoptedPid);
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  // Idempotent: resolves once charon answers on its VICI socket (or is alive and only busy).
  async start(): Promise<void> {
    this.stopping = false;
    if (this.starting) return this.starting;
    if (this.isRunning()) {
      const wedged = await this.wedgedReason();
      if (!wedged) return;
      // Restarting drops every SA of the gateway: only for a charon that is really stuck.
      this.o.logger.warn(`charon ${this.gatewayId} restarted by the worker: ${wedged}`);
      this.lastForcedRestartAt = Date.now();
      this.unansweredSince = 0;
      const pid = this.pid;
      this.child = null;
      this.forgetAdopted();
      if (pid) await terminate(pid, this.o.stopTimeoutMs);
      this.notice(wedged);
    } else if (this.child === null && this.adoptedPid === null && (await this.adoptRunning())) {
      return;
    }
    this.clearRestartTimer();
    this.starting = this.launch().finally(() => (this.starting = null));
    return this.starting;
  }

  /**
   * A charon left running by a previous worker process (killed, restarted, upgraded) keeps the
   * gateway's SAs: take it over when it answers VICI and runs the configuration this worker would
   * write, instead of killing it (every tunnel of the gateway would renegotiate). Anything else
   * (a different strongswan.conf, no answer) is stopped and replaced as before.
   */
  private async adoptRunning(): Promise<boolean> {
    const pid = this.stalePid();
    if (!pid) return false;
    let onDisk = '';
    try {
      onDisk = readFileSync(this.paths.conf, 'utf8');
    } catch {
      // no file: not ours to keep
    }
    if (onDisk !== this.renderConf()) {
      this.o.logger.warn(`charon ${this.gatewayId}: the running charon (pid ${pid}) has another strongswan.conf than this worker writes; replacing it`);
      return false;
    }
    try {
      await viciVersion(this.paths.viciSocket, this.o.probeTimeoutMs);
    } catch (e) {
      this.o.logger.warn(`charon ${this.gatewayId}: the running charon (pid ${pid}) does not answer VICI (${(e as Error).message}); replacing it`);
      return false;
    }
    this.adoptedPid = pid;
    this.startedAt = Date.now();
    this.o.logger.log(`charon ${this.gatewayId}: took over the running charon pid ${pid} (left by a previous worker); its SAs are kept`);
    this.adoptedWatch = setInterval(() => {
      if (this.adoptedPid === pid && !isAlive(pid)) this.onAdoptedExit(pid);
    }, this.o.adoptedWatchMs);
    this.adoptedWatch.unref();
    return true;
  }

  private onAdoptedExit(pid: number): void {
    this.forgetAdopted();
    if (this.stopping || this.starting) return;
    const reason = `charon exited unexpectedly (pid ${pid}, taken over from a previous worker)`;
    this.o.logger.warn(`charon ${this.gatewayId}: ${reason}`);
    this.notice(reason);
    this.scheduleRestart();
  }

  private forgetAdopted(): void {
    if (this.adoptedWatch) clearInterval(this.adoptedWatch);
    this.adoptedWatch = null;
    this.adoptedPid = null;
  }

  private renderConf(): string {
    return renderCharonConf({ gatewayId: this.gatewayId, paths: this.paths, dataPlane: this.o.dataPlane, retransmit: this.o.retransmit });
  }

  /**
   * The worker is going away but the data plane is not: forget the charon without stopping it (a
   * later worker takes it over). Its restart supervision ends with this process.
   */
  detach(): void {
    this.stopping = true;
    this.clearRestartTimer();
    this.forgetAdopted();
    this.child = null;
  }

  /**
   * Why a running charon must be replaced, or null to keep it. A charon whose threads are all busy
   * (blocking initiates towards silent peers, a burst of IKE) accepts the VICI connection and
   * answers late: that is busy, not dead. Only a socket nobody listens on, or no answer for
   * `wedgedAfterMs` across probes, is; and forced restarts are rate-limited.
   */
  private async wedgedReason(): Promise<string | null> {
    try {
      await viciVersion(this.paths.viciSocket, this.o.probeTimeoutMs);
      this.unansweredSince = 0;
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') return `its VICI socket is gone (${code}) while the process runs`;
      const now = Date.now();
      if (!this.unansweredSince) this.unansweredSince = now;
      const unansweredMs = now - this.unansweredSince;
      if (unansweredMs < this.o.wedgedAfterMs) {
        this.o.logger.warn(
          `charon ${this.gatewayId} is busy: VICI did not answer within ${this.o.probeTimeoutMs} ms (unanswered for ${unansweredMs} ms); keeping it`,
        );
        return null;
      }
      if (now - this.lastForcedRestartAt < this.o.minForcedRestartIntervalMs) {
        this.o.logger.warn(
          `charon ${this.gatewayId}: VICI unanswered for ${unansweredMs} ms, but it was restarted less than ${this.o.minForcedRestartIntervalMs} ms ago; keeping it`,
        );
        return null;
      }
      return `VICI unanswered for ${Math.round(unansweredMs / 1000)} s while the process runs`;
    }
  }

  // SIGTERM (charon deletes its SAs), SIGKILL after the timeout; never restarted afterwards.
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearRestartTimer();
    await this.starting?.catch(() => undefined);
    const pid = this.child?.pid ?? this.adoptedPid ?? this.stalePid();
    this.forgetAdopted();
    if (pid) await terminate(pid, this.o.stopTimeoutMs);
    this.child = null;
    removeFile(this.paths.pidFile);
  }

  private async launch(): Promise<void> {
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.paths.conf, this.renderConf());
    await this.killStale();
    // A socket file left by a dead charon would answer ECONNREFUSED and confuse nobody, but a
    // fresh path makes "the socket exists" mean "this charon made it".
    removeFile(this.paths.viciSocket);
    rotateIfLarge(this.paths.log, MAX_LOG_BYTES);
    rotateIfLarge(this.paths.output, MAX_LOG_BYTES);

    // Output goes to a file, not a pipe: charon must outlive a SIGKILLed worker without SIGPIPE.
    const out = openSync(this.paths.output, 'a');
    let child: ChildProcess;
    try {
      child = spawn('ip', ['netns', 'exec', this.o.namespace, 'unshare', '-m', 'sh', '-c', LAUNCH_SCRIPT, 'sh', this.paths.conf, this.o.charonPath], {
        // None of the worker's environment (database URL, secrets key): charon parses the internet's packets.
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    child.unref();
    this.child = child;
    this.startedAt = Date.now();
    // `ip netns exec`, unshare and `sh -c ... exec` all keep the pid: it ends up being charon's.
    if (child.pid) writeFileSync(this.paths.pidFile, `${child.pid}\n`);
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (e) => this.o.logger.error(`charon ${this.gatewayId}: spawn failed: ${e.message}`));

    try {
      await this.waitReady(child);
    } catch (e) {
      if (this.child === child) this.child = null;
      if (child.pid) await terminate(child.pid, 1000);
      removeFile(this.paths.pidFile);
      throw e;
    }
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.o.startTimeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw this.startError(`exited during start-up (${child.signalCode ?? `code ${child.exitCode}`})`);
      }
      try {
        await viciVersion(this.paths.viciSocket, 1000);
        return;
      } catch (e) {
        lastError = (e as Error).message;
      }
      // A fresh charon answers 100-300 ms after the spawn: a finer poll than 100 ms gets each
      // gateway's configuration loaded sooner (a refused connect to a missing socket is cheap).
      await sleep(25);
    }
    throw this.startError(`VICI socket ${this.paths.viciSocket} did not answer within ${this.o.startTimeoutMs} ms (${lastError})`);
  }

  private startError(what: string): Error {
    const tail = [tailFile(this.paths.output, 10), tailFile(this.paths.log, 20)].filter(Boolean).join('\n');
    return new Error(`charon for ${this.gatewayId} ${what}${tail ? `\n--- log tail ---\n${tail}` : ''}`);
  }

  // A charon from a previous worker process (SIGKILLed workers leave theirs running): ours if its
  // command line or environment names our strongswan.conf.
  private stalePid(): number | null {
    const pid = readPidFile(this.paths.pidFile);
    if (pid && pid !== this.child?.pid && isAlive(pid) && processMentions(pid, this.paths.conf)) return pid;
    return null;
  }

  private async killStale(): Promise<void> {
    const pid = this.stalePid();
    if (pid) {
      this.o.logger.warn(`charon ${this.gatewayId}: stopping charon pid ${pid} left by a previous worker (not taken over: see above)`);
      await terminate(pid, this.o.stopTimeoutMs);
    }
    removeFile(this.paths.pidFile);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return; // an old child we already replaced or gave up on
    this.child = null;
    if (this.stopping || this.starting) return; // start-up failures are reported by start()
    const upFor = Date.now() - this.startedAt;
    if (upFor >= this.o.stableAfterMs) this.restartAttempt = 0;
    const reason = `charon exited unexpectedly (${signal ?? `code ${code}`}) after ${upFor} ms`;
    this.o.logger.warn(`charon ${this.gatewayId}: ${reason}`);
    this.notice(reason);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delays = this.o.restartBackoffMs;
    const delay = delays[Math.min(this.restartAttempt, delays.length - 1)] ?? 1000;
    this.restartAttempt++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping || this.isRunning()) return;
      this.starting = this.launch().finally(() => (this.starting = null));
      this.starting.then(
        () => {
          this.o.logger.log(`charon ${this.gatewayId} restarted (attempt ${this.restartAttempt})`);
          this.fireRestart();
        },
        (e: Error) => {
          this.o.logger.error(`charon ${this.gatewayId} restart failed: ${e.message}`);
          if (!this.stopping) this.scheduleRestart();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  private notice(reason: string): void {
    try {
      this.o.onRestartNotice?.(this.gatewayId, reason);
    } catch (e) {
      this.o.logger.error(`charon ${this.gatewayId}: onRestartNotice callback failed: ${(e as Error).message}`);
    }
  }

  private fireRestart(): void {
    try {
      this.o.onRestart?.(this.gatewayId);
    } catch (e) {
      this.o.logger.error(`charon ${this.gatewayId}: onRestart callback failed: ${(e as Error).message}`);
    }
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}
