// What the lab made, on disk, so that `down` (a later CLI process) removes exactly that.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabInventory } from './lab-inventory';

export const DEFAULT_LAB_STATE_DIR = '/var/lib/vpn-console/lab';

// How a remote site runs its IKE daemon: the legacy starter (ipsec.conf) or charon loaded
// through swanctl.conf: see lab-site-daemon.ts.
export type SiteKind = 'starter' | 'swanctl' | 'libreswan';

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

export type AgentKind = 'instance' | 'router';

// What an agent acts for: an instance, or a VPC's router (the VPC fabric namespace).
export interface AgentTarget {
  name: string; // the instance's name, or the VPC's name for its router
  kind: AgentKind;
  targetId: string; // the API id the token belongs to
  namespace: string;
}

// A route agent the lab runs (lab-agents.ts): files under <state dir>/agents/.
export interface AgentState extends AgentTarget {
  apiUrl: string;
  tokenFile: string;
  stateFile: string;
  logFile: string;
  pid?: number;
}

export interface LabState {
  version: 1;
  prefix: string;
  // Namespaces in creation order; removed in reverse by `down`.
  namespaces: string[];
  inventory: LabInventory | null;
  registered: boolean;
  sites: Record<string, SiteState>;
  agents?: Record<string, AgentState>; // absent in state files written before agents existed
}

export function emptyState(prefix: string): LabState {
  return { version: 1, prefix, namespaces: [], inventory: null, registered: false, sites: {}, agents: {} };
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

  agentsDir(): string {
    return join(this.dir, 'agents');
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
