// What the lab made, on disk, so that `down` (a later CLI process) removes exactly that.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabInventory } from './lab-inventory';

export const DEFAULT_LAB_STATE_DIR = '/var/lib/vpn-console/lab';

// How a remote site runs its IKE daemon. Only the legacy starter exists today; 'swanctl' (a
// charon loaded through swanctl.conf) is the planned second kind: see lab-site-daemon.ts.
export type SiteKind = 'starter' | 'swanctl';

export interface SiteState {
  name: string;
  kind: SiteKind;
  publicIp: string;
  subnet: string;
  routerNamespace: string;
  hostNamespace: string;
  etcDir: string; // /etc/netns/<router namespace>
  dir: string; // the site's files in the state dir (logs)
  confFile?: string; // where the config came from (re-read by `site reload`)
  secretsFile?: string;
  pid?: number; // the daemon's pid while it runs
}

export interface LabState {
  version: 1;
  prefix: string;
  // Namespaces in creation order; removed in reverse by `down`.
  namespaces: string[];
  inventory: LabInventory | null;
  registered: boolean;
  sites: Record<string, SiteState>;
}

export function emptyState(prefix: string): LabState {
  return { version: 1, prefix, namespaces: [], inventory: null, registered: false, sites: {} };
}

export class LabStateStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
  }

  load(): LabState | null {
    if (!existsSync(this.file)) return null;
    return JSON.parse(readFileSync(this.file, 'utf8')) as LabState;
  }

  save(state: LabState): void {
    mkdirSync(this.dir, { recursive: true });
    // Write-then-rename: a crash never leaves half a state file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }

  siteDir(name: string): string {
    return join(this.dir, 'sites', name);
  }
}

export function recordNamespace(state: LabState, namespace: string): void {
  if (!state.namespaces.includes(namespace)) state.namespaces.push(namespace);
}

export function forgetNamespace(state: LabState, namespace: string): void {
  state.namespaces = state.namespaces.filter((n) => n !== namespace);
}
