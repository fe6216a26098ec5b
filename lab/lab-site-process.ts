// What both site kinds share: an IKE daemon spawned detached in the site's router namespace with a
// private /run (a tmpfs over /var/run, so its pid files and sockets stay its own), commands run
// in its namespaces through nsenter, a readiness probe, and stopping whatever runs in the router.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/negotiation/host/exec';
import { killNamespaceProcesses } from '../src/negotiation/host/gateway-namespace';
import { isAlive, sleep, tailFile, terminate } from '../src/negotiation/host/process-files';
import { SiteState } from './lab-state';

export abstract class SiteProcess {
  /** Shell command run under `unshare -m` in the router namespace (execs the daemon). */
  protected abstract readonly script: string;
  /** The daemon's stdout/stderr file in the site's directory. */
  protected abstract readonly outputFile: string;
  /** What the daemon is called in errors ("the starter", "charon"). */
  protected abstract readonly daemonName: string;
  /** A command that succeeds once the daemon answers. */
  protected abstract readonly readyProbe: readonly string[];

  /** Spawns the daemon detached (the CLI exits) and resolves with its pid once it answers. */
  protected async spawnDaemon(site: SiteState): Promise<number> {
    mkdirSync(site.dir, { recursive: true });
    const out = openSync(join(site.dir, this.outputFile), 'a');
    let pid: number | undefined;
    try {
      const child = spawn('ip', ['netns', 'exec', site.routerNamespace, 'unshare', '-m', 'sh', '-c', this.script], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(out);
    }
    if (!pid) throw new Error(`site ${site.name}: could not spawn ${this.daemonName}`);
    await this.waitReady(site, pid);
    return pid;
  }

  async stop(site: SiteState): Promise<void> {
    if (site.pid && isAlive(site.pid)) await terminate(site.pid, 5000);
    // Anything left in the router namespace (the starter's charon, say) is ours too.
    await killNamespaceProcesses(site.routerNamespace);
  }

  execArgv(site: SiteState, cmd: readonly string[]): string[] {
    if (site.pid && isAlive(site.pid)) return ['nsenter', ...this.nsenterArgs(site.pid, cmd)];
    return ['ip', 'netns', 'exec', site.routerNamespace, ...cmd];
  }

  /** Runs `cmd` where the daemon's private /run (control socket, VICI socket) is. */
  protected inDaemon(site: SiteState, cmd: readonly string[], timeoutMs?: number) {
    return run('nsenter', this.nsenterArgs(site.pid!, cmd), timeoutMs ? { timeoutMs } : undefined);
  }

  protected requireRunning(site: SiteState): void {
    if (!site.pid || !isAlive(site.pid)) throw new Error(`site ${site.name}: its IKE daemon is not running (lab site start ${site.name})`);
  }

  private nsenterArgs(pid: number, cmd: readonly string[]): string[] {
    return ['-t', String(pid), '-m', '-n', '--', ...cmd];
  }

  private async waitReady(site: SiteState, pid: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) break;
      try {
        await run('nsenter', this.nsenterArgs(pid, this.readyProbe), { timeoutMs: 3000 });
        return;
      } catch {
        await sleep(200);
      }
    }
    const tail = [tailFile(join(site.dir, this.outputFile), 10), tailFile(join(site.dir, 'charon.log'), 10)].join('\n');
    if (isAlive(pid)) await terminate(pid, 2000);
    throw new Error(`site ${site.name}: ${this.daemonName} did not come up\n--- log tail ---\n${tail}`);
  }
}
