// The lab as a library: the CLI (lab/cli.ts) and the e2e tests call these operations. A lab is
// identified by its state directory and namespace prefix, so a test can run a private lab beside
// a developer's demo lab ('vl').
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { run, ExecResult } from '../src/negotiation/host/exec';
import { listNamespaces, namespaceExists, namespacePids, removeNamespace } from '../src/negotiation/host/gateway-namespace';
import { getLink, linkNames } from '../src/negotiation/host/ip-link';
import { assertSiteName, DEFAULT_LAB_PREFIX, LabNames } from './lab-names';
import { isAlive } from '../src/negotiation/host/process-files';
import { AgentSummary, LabAgents } from './lab-agents';
import { LabApiClient } from './lab-api';
import { ensureInternet, ensureVpcs, fabricNamespaces, removeNamespaces } from './lab-fabric';
import { demoInventory, findInstance, LabInventory } from './lab-inventory';
import { registerInventory } from './lab-register';
import { removeSiteEverything, ensureSiteNetwork } from './lab-site';
import { siteAddressing } from './lab-site-config';
import { siteDaemonFor } from './lab-site-daemon';
import { DEFAULT_LAB_STATE_DIR, emptyState, forgetNamespace, LabState, LabStateStore, SiteKind, SiteState } from './lab-state';
import { LabStatus, siteSummary } from './lab-status';

export interface LabOptions {
  stateDir?: string;
  prefix?: string;
  api?: { baseUrl: string; adminKey: string };
}

export interface UpOptions {
  register?: boolean; // default true: register the inventory in the API first
  agents?: boolean; // default true when registering: a route agent per instance and VPC router
}

export interface UpResult {
  inventory: LabInventory;
  created: string[];
  newTenantApiKey?: string;
  warnings: string[]; // e.g. route agents that could not start (the lab itself is up)
}

export interface AddSiteOptions {
  name: string;
  publicIp: string;
  subnet: string;
  kind?: SiteKind;
  // Configuration as text, or as files (re-read by reloadSite). Text wins when both are given.
  conf?: string;
  secrets?: string;
  confFile?: string;
  secretsFile?: string;
}

export class Lab {
  readonly names: LabNames;
  readonly store: LabStateStore;
  readonly agents: LabAgents;

  constructor(private readonly o: LabOptions = {}) {
    this.names = new LabNames(o.prefix ?? DEFAULT_LAB_PREFIX);
    this.store = new LabStateStore(o.stateDir ?? DEFAULT_LAB_STATE_DIR);
    this.agents = new LabAgents(this.store.agentsDir());
  }

  get prefix(): string {
    return this.names.prefix;
  }

  async up(options: UpOptions = {}): Promise<UpResult> {
    const state = this.loadState() ?? emptyState(this.prefix);
    let result: UpResult;
    const api = (options.register ?? true) ? this.apiClient('registering the inventory') : null;
    if (api) {
      const r = await registerInventory(api, demoInventory());
      result = { inventory: r.inventory, created: r.created, newTenantApiKey: r.newTenantApiKey, warnings: [] };
      state.registered = true;
    } else {
      // Keep ids the API gave earlier: gateways already placed on those bridges keep working.
      result = { inventory: state.inventory ?? demoInventory(), created: [], warnings: [] };
    }
    try {
      // Ids changed (e.g. a fresh database): drop the fabric built for the old ones.
      const wanted = new Set(fabricNamespaces(this.names, result.inventory));
      const stale = fabricNamespaces(this.names, state.inventory).filter((n) => !wanted.has(n));
      await removeNamespaces(stale);
      stale.forEach((n) => forgetNamespace(state, n));
      state.inventory = result.inventory;
      await ensureInternet(this.names, state);
      await ensureVpcs(this.names, state, result.inventory);
      // Sites survive an `up` that rebuilt the internet bridge: re-plug them.
      for (const site of Object.values(state.sites)) await ensureSiteNetwork(this.names, site, siteAddressing(site.publicIp, site.subnet));
      if (api && (options.agents ?? true)) {
        result.warnings.push(...(await this.agents.ensure(state, result.inventory, this.names, api, this.o.api!.baseUrl)));
      }
    } finally {
      this.store.save(state);
    }
    return result;
  }

  // Removes every site, then every namespace the lab recorded, then the state file, then the
  // gateway namespaces (the worker's) that were plugged into it.
  async down(): Promise<void> {
    const state = this.loadState();
    if (!state) return sweepIdleGatewayNamespaces();
    // Agents run in the host namespace: removing namespaces would not stop them.
    await this.agents.stopAll(state);
    rmSync(this.agents.dir, { recursive: true, force: true });
    for (const site of Object.values(state.sites)) {
      await removeSiteEverything(this.names, site);
      delete state.sites[site.name];
      this.store.save(state);
    }
    // Found by their port on the lab's internet bridge before it goes: their own veth ends vanish
    // only once the kernel has torn the lab's namespaces down, some time after.
    const plugged = await this.pluggedGatewayNamespaces();
    await removeNamespaces(state.namespaces);
    // Gateways plugged into this lab serve nothing once it is gone; their charons outlive a stopped
    // worker (it leaves them for the next one), so they go with their namespace.
    for (const ns of plugged) await removeNamespace(ns, { killProcesses: true });
    // Not the bare gateway namespaces of the machine: another lab running beside this one (two e2e
    // files at once; a lab host that lost power) has bare ones of its own. The CLI's `lab down`
    // sweeps them afterwards (sweepIdleGatewayNamespaces), an explicit cleanup.
    this.store.remove();
    rmSync(`${this.store.dir}/sites`, { recursive: true, force: true });
  }

  private async pluggedGatewayNamespaces(): Promise<string[]> {
    if (!namespaceExists(this.names.inetNamespace)) return [];
    const plugged: string[] = [];
    for (const ns of await gatewayNamespaces()) {
      // `<gatewayId>.<host tag>` (a worker's copy) or the bare gateway id.
      const [gatewayId, tag] = ns.split('.');
      if (await getLink(this.names.inetNamespace, this.names.gatewayPort(gatewayId, tag))) plugged.push(ns);
    }
    return plugged;
  }

  async addSite(o: AddSiteOptions): Promise<SiteState> {
    assertSiteName(o.name);
    const state = this.requireState();
    const a = siteAddressing(o.publicIp, o.subnet);
    const existing = state.sites[o.name];
    if (existing && (existing.publicIp !== a.publicIp || existing.subnet !== a.subnet)) {
      throw new Error(`site ${o.name} exists with ${existing.publicIp} ${existing.subnet}: 'lab site rm ${o.name}' first`);
    }
    const clash = Object.values(state.sites).find((s) => s.name !== o.name && s.publicIp === a.publicIp);
    if (clash) throw new Error(`public IP ${a.publicIp} is already used by site ${clash.name}`);
    if (state.inventory?.externalIps.includes(a.publicIp)) {
      throw new Error(`public IP ${a.publicIp} belongs to the demo tenant's external IP pool: pick another`);
    }
    const routerNamespace = this.names.siteRouterNamespace(o.name);
    const site: SiteState = existing ?? {
      name: o.name,
      kind: o.kind ?? 'starter',
      publicIp: a.publicIp,
      subnet: a.subnet,
      routerNamespace,
      hostNamespace: this.names.siteHostNamespace(o.name),
      etcDir: this.names.netnsEtcDir(routerNamespace),
      dir: this.store.siteDir(o.name),
    };
    site.confFile = o.confFile ?? site.confFile;
    site.secretsFile = o.secretsFile ?? site.secretsFile;
    const daemon = siteDaemonFor(site.kind); // fails early for kinds not built yet
    state.sites[o.name] = site;
    this.store.save(state); // recorded before anything is made, so `site rm` can clean a failure
    try {
      await ensureSiteNetwork(this.names, site, a);
      daemon.writeConfig(site, this.configFor(site, o));
      site.pid = await daemon.start(site);
    } finally {
      this.store.save(state);
    }
    return site;
  }

  async removeSite(name: string): Promise<void> {
    const state = this.requireState();
    const site = this.requireSite(state, name);
    await removeSiteEverything(this.names, site);
    delete state.sites[name];
    this.store.save(state);
  }

  listSites(): SiteState[] {
    return Object.values(this.loadState()?.sites ?? {});
  }

  async reloadSite(name: string): Promise<void> {
    const state = this.requireState();
    const site = this.requireSite(state, name);
    const daemon = siteDaemonFor(site.kind);
    if (site.confFile || site.secretsFile) daemon.writeConfig(site, this.configFor(site, {}));
    await daemon.reload(site);
  }

  async stopSite(name: string): Promise<void> {
    const state = this.requireState();
    const site = this.requireSite(state, name);
    await siteDaemonFor(site.kind).stop(site);
    site.pid = undefined;
    this.store.save(state);
  }

  async startSite(name: string): Promise<void> {
    const state = this.requireState();
    const site = this.requireSite(state, name);
    site.pid = await siteDaemonFor(site.kind).start(site);
    this.store.save(state);
  }

  async siteStatus(name: string): Promise<string> {
    const site = this.requireSite(this.requireState(), name);
    return siteDaemonFor(site.kind).status(site);
  }

  // argv of a command run at a site: on its host (the user's view) or, with router, beside its
  // IKE daemon (where `ipsec status` works).
  siteExecArgv(name: string, cmd: readonly string[], options: { router?: boolean } = {}): string[] {
    const site = this.requireSite(this.requireState(), name);
    if (options.router) return siteDaemonFor(site.kind).execArgv(site, cmd);
    return ['ip', 'netns', 'exec', site.hostNamespace, ...cmd];
  }

  vmExecArgv(instance: string, cmd: readonly string[]): string[] {
    const state = this.requireState();
    if (!state.inventory || !findInstance(state.inventory, instance)) {
      const known = state.inventory?.vpcs.flatMap((v) => v.subnets.flatMap((s) => s.instances.map((i) => i.name))) ?? [];
      throw new Error(`no lab instance '${instance}' (known: ${known.join(', ')})`);
    }
    return ['ip', 'netns', 'exec', this.names.instanceNamespace(instance), ...cmd];
  }

  // Captured-output variants for tests; they reject (ExecError) on a non-zero exit.
  siteExec(name: string, cmd: readonly string[], options: { router?: boolean; timeoutMs?: number } = {}): Promise<ExecResult> {
    const [bin, ...args] = this.siteExecArgv(name, cmd, options);
    return run(bin, args, { timeoutMs: options.timeoutMs });
  }

  vmExec(instance: string, cmd: readonly string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const [bin, ...args] = this.vmExecArgv(instance, cmd);
    return run(bin, args, { timeoutMs: options.timeoutMs });
  }

  // --- route agents (lab-agents.ts): by target name, an instance's or a VPC's
  agentPid(name: string): number | null {
    const a = this.loadState()?.agents?.[name];
    return a && this.agents.running(a) ? a.pid! : null;
  }

  async stopAgent(name: string): Promise<void> {
    const state = this.requireState();
    await this.agents.stop(this.requireAgent(state, name));
    this.store.save(state);
  }

  // Restarts a stopped agent; issues a new token (through the API) only if its file is gone.
  async startAgent(name: string): Promise<number> {
    const state = this.requireState();
    const a = this.requireAgent(state, name);
    if (!existsSync(a.tokenFile)) await this.agents.issueToken(a, this.apiClient(`a new token for agent ${name}`));
    a.pid = await this.agents.start(a);
    this.store.save(state);
    return a.pid;
  }

  agentStatus(): AgentSummary[] {
    return this.agents.summaries(this.loadState());
  }

  async status(): Promise<LabStatus> {
    const state = this.loadState();
    return {
      prefix: this.prefix,
      stateFile: this.store.file,
      up: Boolean(state),
      registered: state?.registered ?? false,
      namespaces: (state?.namespaces ?? []).map((n) => ({ name: n, exists: namespaceExists(n) })),
      inventory: state?.inventory ?? null,
      sites: Object.values(state?.sites ?? {}).map((s) => siteSummary(s, Boolean(s.pid && isAlive(s.pid)))),
      agents: this.agents.summaries(state),
    };
  }

  private configFor(site: SiteState, o: Pick<AddSiteOptions, 'conf' | 'secrets'>) {
    const conf = o.conf ?? (site.confFile ? readFileSync(site.confFile, 'utf8') : siteDaemonFor(site.kind).emptyConfig);
    const secrets = o.secrets ?? (site.secretsFile ? readFileSync(site.secretsFile, 'utf8') : '');
    return { conf, secrets };
  }

  private loadState(): LabState | null {
    const state = this.store.load();
    if (state && state.prefix !== this.prefix) {
      throw new Error(`state in ${this.store.dir} belongs to a lab with prefix '${state.prefix}', not '${this.prefix}'`);
    }
    return state;
  }

  private requireState(): LabState {
    const state = this.loadState();
    if (!state) throw new Error(`no lab is up (no ${this.store.file}): run 'lab up' first`);
    return state;
  }

  private apiClient(purpose: string): LabApiClient {
    if (!this.o.api) throw new Error(`${purpose} needs the API URL and admin key (or register: false)`);
    return new LabApiClient(this.o.api);
  }

  private requireAgent(state: LabState, name: string) {
    const a = state.agents?.[name];
    if (!a) throw new Error(`no route agent '${name}' (agents: ${Object.keys(state.agents ?? {}).join(', ') || 'none'})`);
    return a;
  }

  private requireSite(state: LabState, name: string): SiteState {
    const site = state.sites[name];
    if (!site) throw new Error(`no site '${name}' (sites: ${Object.keys(state.sites).join(', ') || 'none'})`);
    return site;
  }
}

/** The workers' gateway namespaces, named by gateway id (and host tag). */
async function gatewayNamespaces(): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith('vpngw-'));
}

/** Gateway namespaces with no link but lo: plugged into a lab that is gone. */
async function bareGatewayNamespaces(): Promise<string[]> {
  const bare: string[] = [];
  for (const ns of await gatewayNamespaces()) if ((await linkNames(ns).catch(() => ['gone'])).every((l) => l === 'lo')) bare.push(ns);
  return bare;
}

/**
 * Removes every gateway namespace of the machine with no link but lo and nothing running in it
 * (a running charon means its worker still serves it): what labs that are gone left behind. Global:
 * only for an explicit cleanup (`lab down`), never while other labs may be running.
 */
export async function sweepIdleGatewayNamespaces(): Promise<void> {
  for (const ns of new Set(await bareGatewayNamespaces())) {
    if ((await namespacePids(ns)).length === 0) await removeNamespace(ns, { killProcesses: false });
  }
}
