// A remote site running libreswan's pluto, the way a libreswan administrator runs it, from the
// platform's `?vendor=libreswan` download. libreswan cannot be installed beside strongSwan (both
// own /usr/sbin/ipsec), so scripts/lib.sh unpacks Debian's package into .cache/libreswan; pluto
// looks for its helpers (addconn, _updown) at the compiled-in /usr/libexec/ipsec, so the daemon's
// private mount namespace binds the unpacked directory there. `ip netns exec` bind-mounts the
// site's /etc/netns/<ns>/ipsec.conf, ipsec.secrets and ipsec.d (its NSS database) over /etc.
//
// This kernel has no ESP: pluto negotiates IKE SAs and chooses CHILD_SA proposals, but the kernel
// refuses its SAs ("Protocol not supported"), so a libreswan site never carries traffic here.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../src/negotiation/host/process-files';
import type { SiteConfigFiles, SiteDaemon } from './lab-site-daemon';
import { SiteProcess } from './lab-site-process';
import { SiteState } from './lab-state';

const WHACK = '/usr/libexec/ipsec/whack';

/** The unpacked libreswan's helper directory, from the source tree or from dist/. */
export function libreswanLibexec(): string {
  for (const up of [['..'], ['..', '..']]) {
    const dir = join(__dirname, ...up, '.cache', 'libreswan', 'usr', 'libexec', 'ipsec');
    if (existsSync(join(dir, 'pluto'))) return dir;
  }
  throw new Error('libreswan is not unpacked in .cache/libreswan: run `bash -c "source scripts/lib.sh; ensure_libreswan_tools"`');
}

export class LibreswanSiteDaemon extends SiteProcess implements SiteDaemon {
  readonly emptyConfig = 'config setup\n# no connections yet: lab site reload <name> after editing\n';
  protected readonly outputFile = 'pluto.log';
  protected readonly daemonName = 'pluto';
  protected readonly readyProbe = [WHACK, '--status'];

  protected get script(): string {
    const libexec = libreswanLibexec();
    return [
      'mount -t tmpfs none /var/run',
      'mkdir -p /run/pluto',
      'mount -t tmpfs none /usr/libexec',
      'mkdir /usr/libexec/ipsec',
      `mount --bind '${libexec}' /usr/libexec/ipsec`,
      'exec /usr/libexec/ipsec/pluto --nofork --stderrlog --nssdir /etc/ipsec.d',
    ].join(' && ');
  }

  writeConfig(site: SiteState, files: SiteConfigFiles): void {
    const ipsecD = join(site.etcDir, 'ipsec.d');
    mkdirSync(ipsecD, { recursive: true });
    mkdirSync(site.dir, { recursive: true });
    writeFileSync(join(site.etcDir, 'ipsec.conf'), files.conf);
    writeFileSync(join(site.etcDir, 'ipsec.secrets'), files.secrets, { mode: 0o600 });
    // pluto keeps keys in an NSS database even for PSK-only connections.
    if (!existsSync(join(ipsecD, 'cert9.db'))) execFileSync('certutil', ['-N', '-d', `sql:${ipsecD}`, '--empty-password'], { stdio: 'ignore' });
  }

  async start(site: SiteState): Promise<number> {
    if (site.pid && isAlive(site.pid)) return site.pid;
    return this.spawnDaemon(site);
  }

  async reload(site: SiteState): Promise<void> {
    this.requireRunning(site);
    await this.inDaemon(site, [WHACK, '--rereadsecrets']);
    await this.inDaemon(site, ['/usr/libexec/ipsec/addconn', '--autoall']);
  }

  async status(site: SiteState): Promise<string> {
    if (!site.pid || !isAlive(site.pid)) return 'stopped';
    return (await this.inDaemon(site, [WHACK, '--status'])).stdout;
  }
}
