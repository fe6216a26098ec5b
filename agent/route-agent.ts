// The route agent's loop: long-poll the desired routes, converge the routes it owns (its own
// routing protocol number) to them, report the outcome. It never deletes a route because the API
// is unreachable or refuses the token: the data path must not depend on the control plane.
import { AuthError, DesiredState, Report } from './api-client';
import { Backoff } from './backoff';
import { RouteChange, RouteTable } from './ip-route';
import { diffRoutes, DesiredRoute, isEmptyDiff, KernelRoute, normalizeDesired, sortRoutes } from './routes';
import { AgentStateFile, loadStateFile, saveStateFile } from './state-file';
import { createLogger } from '../src/common/structured-log';

export interface RouteAgentApi {
  fetchRoutes(version: string | undefined, waitSeconds: number, signal?: AbortSignal): Promise<DesiredState>;
  report(r: Report, signal?: AbortSignal): Promise<void>;
}

export interface RouteAgentOptions {
  api: RouteAgentApi;
  table: RouteTable;
  agentVersion: string;
  waitSeconds: number;
  authRetryMs?: number; // after a 401 (default 30 s)
  stateFile?: string;
  log?: (line: string) => void;
  /** Failures it rides out (API unreachable, token refused, state file unusable); default `log`. */
  warn?: (line: string) => void;
  backoff?: Backoff;
  // A long poll that comes back unchanged sooner than this waits out the rest (a server that
  // does not hold requests must not make the agent spin).
  minPollIntervalMs?: number;
}

export interface ApplyResult {
  version: string;
  ok: boolean; // every desired route is in place
  added: string[];
  changed: string[];
  removed: string[];
  errors: string[];
}

const MAX_ERROR_CHARS = 1000; // the API refuses a longer report error

export class RouteAgent {
  private desiredVersion: string | undefined; // the last version the API sent
  private appliedVersion: string | undefined; // the last version fully applied
  private lastState: AgentStateFile | null = null;
  private lastReport: string | undefined;
  private reachedApi = false;
  private restored = false;
  private convergedOnce = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private readonly log: (line: string) => void;
  private readonly warn: (line: string) => void;
  private readonly backoff: Backoff;

  constructor(private readonly o: RouteAgentOptions) {
    const fallback = o.log ? undefined : createLogger({ context: 'route-agent' });
    this.log = o.log ?? ((line) => fallback!.log(line));
    this.warn = o.warn ?? (o.log ? this.log : (line) => fallback!.warn(line));
    this.backoff = o.backoff ?? new Backoff();
    if (o.stateFile) {
      try {
        this.lastState = loadStateFile(o.stateFile);
      } catch (e) {
        this.warn(`state file ignored: ${(e as Error).message}`);
      }
      this.appliedVersion = this.lastState?.version;
    }
  }

  get version(): { desired?: string; applied?: string } {
    return { desired: this.desiredVersion, applied: this.appliedVersion };
  }

  // Fetches the current desired state at once and converges to it. Throws when the API fails.
  async runOnce(): Promise<ApplyResult> {
    const state = await this.o.api.fetchRoutes(undefined, 0, this.abort.signal);
    this.reachedApi = true;
    this.desiredVersion = state.version;
    return this.converge(state);
  }

  // Runs until stop(). Routes stay in place when it ends.
  async start(): Promise<void> {
    const last = this.lastState ? `last applied version ${this.lastState.version} (${this.lastState.routes.length} routes)` : 'no previous state';
    this.log(`started: ${last}`);
    while (!this.stopped) {
      try {
        const asked = this.desiredVersion;
        const t0 = Date.now();
        const state = await this.o.api.fetchRoutes(asked, this.o.waitSeconds, this.abort.signal);
        if (this.backoff.failures > 0) this.log(`API reachable again after ${this.backoff.failures} failed tries`);
        this.backoff.reset();
        this.reachedApi = true;
        this.desiredVersion = state.version;
        await this.converge(state);
        let delay = state.pollAfterSeconds * 1000;
        if (state.version === asked) delay = Math.max(delay, (this.o.minPollIntervalMs ?? 1000) - (Date.now() - t0));
        if (delay > 0) await this.sleep(delay);
      } catch (e) {
        if (this.stopped) break;
        await this.restoreFromStateFile();
        if (e instanceof AuthError) {
          const ms = this.o.authRetryMs ?? 30_000;
          this.warn(`API refused the agent token (${e.message}): token unknown or revoked; keeping routes, retrying in ${Math.round(ms / 1000)} s`);
          await this.sleep(ms);
        } else {
          const ms = this.backoff.next();
          this.warn(`API unreachable (${(e as Error).message}); keeping routes, retry ${this.backoff.failures} in ${(ms / 1000).toFixed(1)} s`);
          await this.sleep(ms);
        }
      }
    }
    this.log('stopped; routes left in place');
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
  }

  // Makes the routes we own exactly the desired ones; reports when something was attempted,
  // the version moved or the outcome changed.
  async converge(state: DesiredState): Promise<ApplyResult> {
    const { routes, errors } = normalizeDesired(state.routes);
    const result: ApplyResult = { version: state.version, ok: false, added: [], changed: [], removed: [], errors };
    let attempted = false;
    try {
      const { owned, foreign } = await this.o.table.list();
      const diff = diffRoutes(routes, owned, foreign);
      for (const c of diff.conflicts) {
        errors.push(`${c.route.destination}: a route with protocol ${c.protocol} already holds this destination; not replaced`);
      }
      attempted = !isEmptyDiff(diff);
      // Add before removing: a changed set never leaves a gap it does not have to.
      const changes: RouteChange[] = [
        ...diff.replace.map((route) => ({ op: 'replace' as const, route })),
        ...diff.remove.map((route) => ({ op: 'remove' as const, route })),
      ];
      const outcomes = changes.length ? await this.o.table.apply(changes) : [];
      changes.forEach((c, i) => {
        const failed = outcomes[i];
        if (failed) errors.push(failed);
        else if (c.op === 'remove') result.removed.push(c.route.destination);
        else (hasOwned(owned, c.route.destination) ? result.changed : result.added).push(`${c.route.destination} via ${c.route.via}`);
      });
    } catch (e) {
      errors.push((e as Error).message);
    }
    result.ok = errors.length === 0;
    const versionMoved = state.version !== this.appliedVersion;
    if (result.ok) {
      this.appliedVersion = state.version;
      if (versionMoved || attempted) this.saveState(state.version, routes);
    }
    if (attempted || !result.ok || versionMoved || !this.convergedOnce) this.log(describe(result, routes.length));
    this.convergedOnce = true;
    await this.reportIfNeeded(result, attempted || versionMoved);
    return result;
  }

  private async reportIfNeeded(result: ApplyResult, attempted: boolean): Promise<void> {
    const error = result.errors.length ? result.errors.join('; ').slice(0, MAX_ERROR_CHARS) : null;
    const report: Report = { appliedVersion: this.appliedVersion ?? '', agentVersion: this.o.agentVersion, error };
    const key = JSON.stringify(report);
    if (!attempted && key === this.lastReport) return;
    try {
      await this.o.api.report(report, this.abort.signal);
      this.lastReport = key;
    } catch (e) {
      this.lastReport = undefined; // sent again after the next poll
      if (!this.stopped) this.warn(`report of version ${report.appliedVersion || '(none)'} failed: ${(e as Error).message}`);
    }
  }

  // Before the API was ever reached in this run (e.g. the instance rebooted during an outage),
  // put back missing routes of the last applied version. Add-only: nothing is deleted.
  private async restoreFromStateFile(): Promise<void> {
    if (this.reachedApi || this.restored || !this.lastState?.routes.length) return;
    this.restored = true;
    const errors: string[] = [];
    let restored = 0;
    try {
      const { owned, foreign } = await this.o.table.list();
      const outcomes = await this.o.table.apply(diffRoutes(this.lastState.routes, owned, foreign).replace.map((route) => ({ op: 'replace' as const, route })));
      for (const failed of outcomes) {
        if (failed) errors.push(failed);
        else restored++;
      }
    } catch (e) {
      errors.push((e as Error).message);
    }
    if (restored || errors.length) {
      this.log(
        `API not reached yet: restored ${restored} route(s) of version ${this.lastState.version} from the state file${errors.length ? `; errors: ${errors.join('; ')}` : ''}`,
      );
    }
  }

  private saveState(version: string, routes: DesiredRoute[]): void {
    if (!this.o.stateFile) return;
    this.lastState = { version, routes: sortRoutes(routes), appliedAt: new Date().toISOString() };
    try {
      saveStateFile(this.o.stateFile, this.lastState);
    } catch (e) {
      this.warn(`cannot write the state file: ${(e as Error).message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

function hasOwned(owned: readonly KernelRoute[], destination: string): boolean {
  return owned.some((o) => o.destination === destination && o.metric === 0);
}

function describe(r: ApplyResult, total: number): string {
  const items = [...r.added.map((x) => `+${x}`), ...r.changed.map((x) => `~${x}`), ...r.removed.map((x) => `-${x}`)];
  const shown = items.length > 20 ? [...items.slice(0, 20), `... ${items.length - 20} more`] : items;
  if (r.ok) return `applied version ${r.version} (${total} routes): ${shown.join(', ') || 'routes already in place'}`;
  const what = shown.length ? `done: ${shown.join(', ')}` : 'nothing changed';
  return `version ${r.version} not fully applied (${what}): ${r.errors.join('; ').slice(0, MAX_ERROR_CHARS)}`;
}
