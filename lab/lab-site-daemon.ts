// The IKE daemon of a remote site, run the way its administrator would. Today: strongSwan's
// legacy starter reading /etc/netns/<ns>/ipsec.conf + ipsec.secrets.
//
// Extension point: `lab site add --kind swanctl` will add a SwanctlSiteDaemon implementing
// SiteDaemon (charon with a swanctl.conf loaded by `swanctl --load-all`); siteDaemonFor() is
// the only switch to extend.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/negotiation/host/exec';
import { killNamespaceProcesses } from '../src/negotiation/host/gateway-namespace';
import { isAlive, sleep, tailFile, terminate } from '../src/negotiation/host/process-files';
import { renderSiteStrongswanConf } from './lab-site-config';
import { SiteKind, SiteState } from './lab-state';

export interface SiteConfigFiles {
  conf: string; // ipsec.conf text
  secrets: string; // ipsec.secrets text (never logged)
}

export interface SiteDaemon {
  // Writes the daemon's configuration where it will read it.
  writeConfig(site: SiteState, files: SiteConfigFiles): void;
  // Starts detached (the CLI exits); resolves with the pid once the daemon answers.
  start(site: SiteState): Promise<number>;
  stop(site: SiteState): Promise<void>;
  // Re-reads configuration and secrets.
  reload(site: SiteState): Promise<void>;
  status(site: SiteState): Promise<string>;
  // argv that runs `cmd` in the daemon's namespaces (its private /run included).
  execArgv(site: SiteState, cmd: readonly string[]): string[];
}

export function siteDaemonFor(kind: SiteKind): SiteDaemon {
  if (kind === 'starter') return new StarterSiteDaemon();
  throw new Error(`site kind '${kind}' is not implemented yet (only 'starter')`);
}

const STARTER_SCRIPT = 'mount -t tmpfs none /var/run && exec ipsec start --nofork';

export class StarterSiteDaemon implements SiteDaemon {
  writeConfig(site: SiteState, files: SiteConfigFiles): void {
    mkdirSync(site.etcDir, { recursive: true });
    mkdirSync(site.dir, { recursive: true });
    // Written in place (same inode): `ip netns exec` bind-mounts these files over /etc, and a
    // running daemon's mount would keep pointing at a replaced (renamed-over) file.
    writeFileSync(join(site.etcDir, 'ipsec.conf'), files.conf);
    writeFileSync(join(site.etcDir, 'ipsec.secrets'), files.secrets, { mode: 0o600 });
    writeFileSync(join(site.etcDir, 'strongswan.conf'), renderSiteStrongswanConf(site.name, join(site.dir, 'charon.log')));
  }

  async start(site: SiteState): Promise<number> {
    if (site.pid && isAlive(site.pid)) return site.pid;
    mkdirSync(site.dir, { recursive: true });
    const out = openSync(join(site.dir, 'starter.log'), 'a');
    let pid: number | undefined;
    try {
      const child = spawn('ip', ['netns', 'exec', site.routerNamespace, 'unshare', '-m', 'sh', '-c', STARTER_SCRIPT], {
        detached: true,
        stdio: ['ignore', out, out],
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(out);
    }
    if (!pid) throw new Error(`site ${site.name}: could not spawn the starter`);
    await this.waitReady(site, pid);
    return pid;
  }

  async stop(site: SiteState): Promise<void> {
    if (site.pid && isAlive(site.pid)) await terminate(site.pid, 5000);
    // The starter stops its charon; anything left in the router namespace is ours too.
    await killNamespaceProcesses(site.routerNamespace);
  }

  async reload(site: SiteState): Promise<void> {
    this.requireRunning(site);
    // Secrets first, so that re-initiated connections use them.
    await run('nsenter', this.nsenterArgs(site, ['ipsec', 'rereadsecrets']));
    await run('nsenter', this.nsenterArgs(site, ['ipsec', 'reload']));
  }

  async status(site: SiteState): Promise<string> {
    if (!site.pid || !isAlive(site.pid)) return 'stopped';
    const { stdout } = await run('nsenter', this.nsenterArgs(site, ['ipsec', 'statusall']));
    return stdout;
  }

  execArgv(site: SiteState, cmd: readonly string[]): string[] {
    if (site.pid && isAlive(site.pid)) return ['nsenter', ...this.nsenterArgs(site, cmd)];
    return ['ip', 'netns', 'exec', site.routerNamespace, ...cmd];
  }

  // The starter's mount namespace holds its private /run (charon.ctl, pid files): `ipsec`
  // commands must run there, not in a fresh `ip netns exec`.
  private nsenterArgs(site: SiteState, cmd: readonly string[]): string[] {
    return ['-t', String(site.pid), '-m', '-n', '--', ...cmd];
  }

  private requireRunning(site: SiteState): void {
    if (!site.pid || !isAlive(site.pid)) throw new Error(`site ${site.name}: its IKE daemon is not running (lab site start ${site.name})`);
  }

  private async waitReady(site: SiteState, pid: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) break;
      try {
        // Answers once charon is up and the starter has loaded ipsec.conf through stroke.
        await run('nsenter', ['-t', String(pid), '-m', '-n', '--', 'ipsec', 'status'], { timeoutMs: 3000 });
        return;
      } catch {
        await sleep(200);
      }
    }
    const tail = [tailFile(join(site.dir, 'starter.log'), 10), tailFile(join(site.dir, 'charon.log'), 10)].join('\n');
    if (isAlive(pid)) await terminate(pid, 2000);
    throw new Error(`site ${site.name}: the starter did not come up\n--- log tail ---\n${tail}`);
  }
}
