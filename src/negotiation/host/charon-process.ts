// One supervised charon per gateway, inside the gateway's namespace with a private /run (charon's
// pid file path is compiled in), its own strongswan.conf and a VICI socket in the gateway's
// directory, reachable from the worker outside the namespace.
import { spawn, ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import {
  assertCharonPaths, charonPaths, CharonPaths, DataPlane, DEFAULT_CHARON_PATH, DEFAULT_GATEWAYS_DIR,
  renderCharonConf, RetransmitSettings,
} from './charon-config';
import {
  isAlive, processMentions, readPidFile, removeFile, rotateIfLarge, sleep, tailFile, terminate,
} from './process-files';
import { viciVersion } from './vici-probe';

export interface HostLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const consoleLogger: HostLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

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
  logger?: HostLogger;
}

// `$1` = strongswan.conf, `$2` = charon binary: passed as arguments, never interpolated.
const LAUNCH_SCRIPT = 'mount -t tmpfs none /var/run && STRONGSWAN_CONF="$1" exec "$2"';
const MAX_LOG_BYTES = 32 * 1024 * 1024;

export class CharonProcess {
  readonly gatewayId: string;
  readonly paths: CharonPaths;
  private readonly o: Required<Omit<CharonProcessOptions, 'onRestart' | 'retransmit'>> &
    Pick<CharonProcessOptions, 'onRestart' | 'retransmit'>;
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartAttempt = 0;
  private starting: Promise<void> | null = null;

  constructor(options: CharonProcessOptions) {
    this.o = {
      baseDir: DEFAULT_GATEWAYS_DIR,
      charonPath: DEFAULT_CHARON_PATH,
      dataPlane: 'libipsec',
      startTimeoutMs: 15_000,
      stopTimeoutMs: 5_000,
      restartBackoffMs: [500, 1_000, 2_000, 5_000, 10_000, 30_000],
      stableAfterMs: 60_000,
      logger: consoleLogger,
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
    return this.child?.pid ?? null;
  }

  isRunning(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  // Idempotent: resolves once charon answers on its VICI socket.
  async start(): Promise<void> {
    this.stopping = false;
    if (this.starting) return this.starting;
    if (this.isRunning()) {
      // Running is not enough: a wedged charon that no longer answers VICI is replaced.
      try {
        await viciVersion(this.paths.viciSocket, 2000);
        return;
      } catch (e) {
        this.o.logger.warn(`charon ${this.gatewayId} does not answer VICI (${(e as Error).message}): restarting it`);
        const child = this.child;
        this.child = null;
        if (child?.pid) await terminate(child.pid, this.o.stopTimeoutMs);
      }
    }
    this.clearRestartTimer();
    this.starting = this.launch().finally(() => (this.starting = null));
    return this.starting;
  }

  // SIGTERM (charon deletes its SAs), SIGKILL after the timeout; never restarted afterwards.
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearRestartTimer();
    await this.starting?.catch(() => undefined);
    const pid = this.child?.pid ?? this.stalePid();
    if (pid) await terminate(pid, this.o.stopTimeoutMs);
    this.child = null;
    removeFile(this.paths.pidFile);
  }

  private async launch(): Promise<void> {
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    writeFileSync(
      this.paths.conf,
      renderCharonConf({ gatewayId: this.gatewayId, paths: this.paths, dataPlane: this.o.dataPlane, retransmit: this.o.retransmit }),
    );
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
      child = spawn(
        'ip',
        ['netns', 'exec', this.o.namespace, 'unshare', '-m', 'sh', '-c', LAUNCH_SCRIPT, 'sh', this.paths.conf, this.o.charonPath],
        { detached: true, stdio: ['ignore', out, out] },
      );
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
      await sleep(100);
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
      this.o.logger.warn(`charon ${this.gatewayId}: stopping stale charon pid ${pid} left by a previous worker`);
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
    this.o.logger.warn(`charon ${this.gatewayId} exited unexpectedly (${signal ?? `code ${code}`}) after ${upFor} ms`);
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
          this.o.logger.info(`charon ${this.gatewayId} restarted (attempt ${this.restartAttempt})`);
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
