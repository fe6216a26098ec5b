// A remote site running charon configured through swanctl.conf, the way a current strongSwan
// administrator runs it: charon in the site's router namespace (private /run), then
// `swanctl --load-all` reading /etc/swanctl/swanctl.conf. `ip netns exec` bind-mounts
// /etc/netns/<ns>/swanctl over /etc/swanctl, so the site's files are private to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecError } from '../src/negotiation/host/exec';
import { isAlive } from '../src/negotiation/host/process-files';
import { renderSiteStrongswanConf } from './lab-site-config';
import type { SiteConfigFiles, SiteDaemon } from './lab-site-daemon';
import { SiteProcess } from './lab-site-process';
import { SiteState } from './lab-state';

const CHARON_SCRIPT = 'mount -t tmpfs none /var/run && exec /usr/lib/ipsec/charon';
// swanctl.conf's stock include: extra files (e.g. a separate secrets file) go to conf.d/.
export const SWANCTL_EMPTY_CONF = '# swanctl.conf of a lab site: no connections yet (lab site reload <name> after editing)\ninclude conf.d/*.conf\n';

const SWANCTL_DIRS = ['conf.d', 'x509', 'x509ca', 'x509ocsp', 'x509aa', 'x509ac', 'x509crl', 'pubkey', 'private', 'rsa', 'ecdsa', 'bliss', 'pkcs8', 'pkcs12'];

export class SwanctlSiteDaemon extends SiteProcess implements SiteDaemon {
  readonly emptyConfig = SWANCTL_EMPTY_CONF;
  // charon's private /run holds the VICI socket swanctl talks to.
  protected readonly script = CHARON_SCRIPT;
  protected readonly outputFile = 'charon.out';
  protected readonly daemonName = 'charon';
  protected readonly readyProbe = ['swanctl', '--stats'];

  swanctlDir(site: SiteState): string {
    return join(site.etcDir, 'swanctl');
  }

  writeConfig(site: SiteState, files: SiteConfigFiles): void {
    const dir = this.swanctlDir(site);
    // The stock folders too: swanctl complains about each missing one on every --load-all.
    for (const sub of SWANCTL_DIRS) mkdirSync(join(dir, sub), { recursive: true });
    mkdirSync(site.dir, { recursive: true });
    // swanctl.conf holds connections and secrets: root only. A separate secrets text (if any)
    // goes to conf.d/, which the stock swanctl.conf and ours include.
    writeFileSync(join(dir, 'swanctl.conf'), files.conf, { mode: 0o600 });
    writeFileSync(join(dir, 'conf.d', 'lab-secrets.conf'), files.secrets, { mode: 0o600 });
    writeFileSync(join(site.etcDir, 'strongswan.conf'), renderSiteStrongswanConf(site.name, join(site.dir, 'charon.log')));
  }

  async start(site: SiteState): Promise<number> {
    if (site.pid && isAlive(site.pid)) return site.pid;
    const pid = await this.spawnDaemon(site);
    site.pid = pid;
    try {
      await this.loadAll(site);
    } catch (e) {
      await this.stop(site);
      site.pid = undefined;
      throw e;
    }
    return pid;
  }

  async reload(site: SiteState): Promise<void> {
    this.requireRunning(site);
    await this.loadAll(site);
  }

  async status(site: SiteState): Promise<string> {
    if (!site.pid || !isAlive(site.pid)) return 'stopped';
    const conns = await this.inDaemon(site, ['swanctl', '--list-conns']);
    const sas = await this.inDaemon(site, ['swanctl', '--list-sas']);
    return `${conns.stdout}${sas.stdout}`;
  }

  // swanctl exits non-zero when a section does not load; its output names what failed (the
  // secrets themselves are never printed by swanctl).
  private async loadAll(site: SiteState): Promise<void> {
    try {
      await this.inDaemon(site, ['swanctl', '--load-all', '--noprompt'], 15_000);
    } catch (e) {
      const detail = e instanceof ExecError ? `${e.stdout}${e.stderr}`.trim() : (e as Error).message;
      throw new Error(`site ${site.name}: swanctl --load-all failed\n${detail}`, { cause: e });
    }
  }
}
