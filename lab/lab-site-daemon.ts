// The IKE daemon of a remote site, run the way its administrator would: strongSwan's legacy
// starter reading /etc/netns/<ns>/ipsec.conf + ipsec.secrets ('starter'), or charon with a
// swanctl.conf loaded by `swanctl --load-all` ('swanctl', lab-site-swanctl.ts), or libreswan's pluto
// ('libreswan', lab-site-libreswan.ts: negotiates, but cannot install SAs on this kernel).
// siteDaemonFor() is the only switch.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../src/negotiation/host/process-files';
import { renderSiteStrongswanConf } from './lab-site-config';
import { SiteProcess } from './lab-site-process';
import { SiteKind, SiteState } from './lab-state';
import { SwanctlSiteDaemon } from './lab-site-swanctl';
import { LibreswanSiteDaemon } from './lab-site-libreswan';

export interface SiteConfigFiles {
  conf: string; // ipsec.conf (starter) or swanctl.conf (swanctl) text
  secrets: string; // ipsec.secrets text, or extra swanctl secrets (never logged)
}

export interface SiteDaemon {
  // The configuration a site starts with when none is given.
  readonly emptyConfig: string;
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

export const SITE_KINDS: readonly SiteKind[] = ['starter', 'swanctl', 'libreswan'];

export function siteDaemonFor(kind: SiteKind): SiteDaemon {
  if (kind === 'starter') return new StarterSiteDaemon();
  if (kind === 'swanctl') return new SwanctlSiteDaemon();
  if (kind === 'libreswan') return new LibreswanSiteDaemon();
  throw new Error(`site kind '${kind}' is unknown (kinds: ${SITE_KINDS.join(', ')})`);
}

const STARTER_SCRIPT = 'mount -t tmpfs none /var/run && exec ipsec start --nofork';

export class StarterSiteDaemon extends SiteProcess implements SiteDaemon {
  readonly emptyConfig = 'config setup\n# no connections yet: lab site reload <name> after editing\n';
  protected readonly script = STARTER_SCRIPT;
  protected readonly outputFile = 'starter.log';
  protected readonly daemonName = 'the starter';
  // Answers once charon is up and the starter has loaded ipsec.conf through stroke.
  protected readonly readyProbe = ['ipsec', 'status'];

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
    return this.spawnDaemon(site);
  }

  async reload(site: SiteState): Promise<void> {
    this.requireRunning(site);
    // Secrets first, so that re-initiated connections use them.
    await this.inDaemon(site, ['ipsec', 'rereadsecrets']);
    await this.inDaemon(site, ['ipsec', 'reload']);
  }

  async status(site: SiteState): Promise<string> {
    if (!site.pid || !isAlive(site.pid)) return 'stopped';
    return (await this.inDaemon(site, ['ipsec', 'statusall'])).stdout;
  }
}
