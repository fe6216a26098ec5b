// One VPN gateway's charon seen from the worker: a command session, an event subscription on its
// own connection, and a negotiator per tunnel. Events are routed to tunnels by connection name.
import { connName } from '../strongswan/tunnel-model';
import { IkeSaEntry, ViciCommands, ViciEventStream, ViciLogger, ViciSection, ViciSession, ViciSubscription } from '../vici';
import { describeRekey } from './rekey-events';
import { flavourOfParsedRequest, IkeFlavour } from '../strongswan/failure-reasons';
import { syncGatewayRouting } from './gateway-routes';
import { loadTunnelsInOneMessage } from './tunnel-preload';
import { MssClamp, syncMssClamps } from './mss-clamp';
import { optionsOf } from '../strongswan/tunnel-model';
import { GATEWAY_VPC_IFACE } from './host/gateway-names';
import { KeyedLimiter } from './keyed-mutex';
import { DesiredTunnel, NegotiationStore } from './negotiation.queries';
import { RetryTimings } from './retry-policy';
import { NegotiatorDeps, TunnelNegotiator, TunnelStateStore } from './tunnel-negotiator';

const CONN_PREFIX = connName('');
/**
 * Initiations in flight from one gateway to one peer address. A responder counts our IKE_SA_INITs
 * as half-open until IKE_AUTH completes. strongSwan 5.9's defaults: a peer address with 3 half-open
 * asks for a COOKIE (\`cookie_threshold_ip\`, one more round trip), with 5 its new ones are dropped
 * (\`block_threshold\`), and past 30 in all everyone pays a COOKIE (\`cookie_threshold\`). With 4
 * in flight, every initiation after the first three met 3 half-open: 904 of a 1,000-tunnel cold
 * start's IKE_SA_INITs were answered with a COOKIE first. Three never do (docs/operations.md, IKE
 * flood thresholds).
 */
export const INITIATIONS_PER_PEER = 3;
// charon's lines before an IKE_SA has a connection's name that explain a refusal (proposal.c,
// ike_init.c, ike_auth.c, phase1.c): kept per peer address for the tunnel's failure reason.
const REFUSAL_LINE =
  /^(received proposals: |configured proposals: |received proposals unacceptable|no acceptable proposal found|looking for peer configs matching |no matching peer config found|no peer config found)/;

export interface GatewayNegotiatorOptions {
  gatewayId: string;
  /** The namespace of this host's copy of the gateway (default: the gateway id). */
  namespace?: string;
  /** The gateway's address in its VPC subnet: the source of its routes into the tunnel. */
  privateIp: string;
  /** The CIDR of the gateway's own subnet. */
  subnetCidr: string;
  viciSocket: string;
  store: NegotiationStore;
  /** Where negotiators write: `store` under this host's fence (FencedStore, or the worker's write-behind front). */
  tunnelStore: TunnelStateStore;
  timings: RetryTimings;
  initiateTimeoutMs: number;
  log(message: string): void;
  viciLogger?: ViciLogger;
}

export class GatewayNegotiator {
  private readonly session: ViciSession;
  private readonly commands: ViciCommands;
  private readonly events: ViciEventStream;
  private subscription: ViciSubscription | null = null;
  private readonly negotiators = new Map<string, TunnelNegotiator>();
  /** Where the last packet of IKE_SAs not matched to a connection came from, by unique id. */
  private readonly packetSources = new Map<string, string>();
  /** What each peer address was last seen initiating with (a remote on another IKE version). */
  private readonly peerFlavours = new Map<string, { flavour: IkeFlavour; at: number }>();
  /** Lines of unmatched IKE_SAs that say why a peer's try was refused (its proposals, its id), by address. */
  private readonly peerRefusals = new Map<string, { line: string; at: number }[]>();

  private readonly initiations = new KeyedLimiter(INITIATIONS_PER_PEER);
  private closed = false;
  /** What fails after close() (sessions torn down under a running step) is not worth a line. */
  private readonly log = (message: string): void => {
    if (!this.closed) this.o.log(message);
  };

  constructor(private readonly o: GatewayNegotiatorOptions) {
    this.session = new ViciSession({ socketPath: o.viciSocket, timeoutMs: 30_000, reconnect: { initialDelayMs: 200, maxDelayMs: 5000 }, logger: o.viciLogger });
    this.commands = new ViciCommands(this.session);
    this.events = new ViciEventStream({
      socketPath: o.viciSocket,
      timeoutMs: 30_000,
      reconnect: { initialDelayMs: 200, maxDelayMs: 5000 },
      logger: o.viciLogger,
    });
  }

  get gatewayId(): string {
    return this.o.gatewayId;
  }

  get namespace(): string {
    return this.o.namespace ?? this.o.gatewayId;
  }

  async start(): Promise<void> {
    await this.session.connect();
    await this.events.connect();
    // `log` is charon's whole log at levels 0-1 (docs/vici.md, "Commands"): each tunnel's lines (a refused rekey,
    // say) and the requests of peers that match no connection (another IKE version).
    this.subscription = await this.events.subscribe(['ike-updown', 'child-updown', 'ike-rekey', 'child-rekey', 'log'], (name, message) => {
      if (name === 'log') this.onLog(message);
      else this.onEvent(name, message);
    });
    // Events may have been missed while the subscription was down: re-read every tunnel's SAs.
    this.events.onConnectionChange((change) => {
      if (change.state === 'connected' && change.reconnected) for (const n of this.negotiators.values()) void n.onSaEvent(false).catch(() => undefined);
    });
  }

  private onLog(message: ViciSection): void {
    const msg = text(message, 'msg');
    const ikeName = text(message, 'ikesa-name');
    if (ikeName.startsWith(CONN_PREFIX)) {
      this.negotiators.get(ikeName.slice(CONN_PREFIX.length))?.onLogLine(msg, text(message, 'group') || 'IKE');
      return;
    }
    // An IKE_SA that matched no connection (yet): charon logs where its packet came from, then
    // what it parsed; together they say which IKE version and mode that peer initiates with.
    const uniqueId = text(message, 'ikesa-uniqueid');
    if (!uniqueId) return;
    const from = /^received packet: from (\d+\.\d+\.\d+\.\d+)\[/.exec(msg);
    if (from) {
      remember(this.packetSources, uniqueId, from[1]);
      return;
    }
    const flavour = flavourOfParsedRequest(msg);
    const source = this.packetSources.get(uniqueId);
    if (flavour && source) remember(this.peerFlavours, source, { flavour, at: Date.now() });
    if (source && REFUSAL_LINE.test(msg)) {
      const kept = (this.peerRefusals.get(source) ?? []).slice(-7);
      remember(this.peerRefusals, source, [...kept, { line: `[${text(message, 'group') || 'IKE'}] ${msg}`, at: Date.now() }]);
    }
  }

  /** The refusal lines of this peer's own tries in the last 2 minutes (failure-reasons reads them). */
  peerLines(peerIp: string): string[] {
    return (this.peerRefusals.get(peerIp) ?? []).filter((l) => Date.now() - l.at < 120_000).map((l) => l.line);
  }

  /** What the peer at this address was seen initiating with in the last 2 minutes, or null. */
  peerFlavour(peerIp: string): IkeFlavour | null {
    const seen = this.peerFlavours.get(peerIp);
    return seen && Date.now() - seen.at < 120_000 ? seen.flavour : null;
  }

  private onEvent(name: string, message: ViciSection): void {
    const up = message.up === 'yes';
    for (const key of Object.keys(message)) {
      if (!key.startsWith(CONN_PREFIX)) continue;
      const negotiator = this.negotiators.get(key.slice(CONN_PREFIX.length));
      if (!negotiator) continue;
      const rekey = name === 'ike-rekey' || name === 'child-rekey' ? describeRekey(name, message[key]) : null;
      const handled = rekey ? negotiator.onRekey(rekey, name === 'ike-rekey' ? 'ike' : 'child') : negotiator.onSaEvent(up);
      void handled.catch((err) => this.log(`${negotiator.tunnelId}: ${name} handling failed: ${(err as Error).message}`));
    }
  }

  private negotiator(tunnelId: string): TunnelNegotiator {
    let n = this.negotiators.get(tunnelId);
    if (!n) {
      n = new TunnelNegotiator(tunnelId, this.negotiatorDeps());
      this.negotiators.set(tunnelId, n);
    }
    return n;
  }

  private negotiatorDeps(): NegotiatorDeps {
    return {
      commands: this.commands,
      withSession: (fn) => this.withSession(fn),
      paced: (peerIp, fn) => this.initiations.run(peerIp, fn),
      store: this.o.tunnelStore,
      timings: this.o.timings,
      initiateTimeoutMs: this.o.initiateTimeoutMs,
      peerFlavour: (ip) => this.peerFlavour(ip),
      peerLines: (ip) => this.peerLines(ip),
      log: this.log,
    };
  }

  private async withSession<T>(fn: (c: ViciCommands) => Promise<T>): Promise<T> {
    const session = new ViciSession({ socketPath: this.o.viciSocket, timeoutMs: 60_000, reconnect: false, logger: this.o.viciLogger });
    try {
      await session.connect();
      return await fn(new ViciCommands(session));
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  /** Loads the tunnels whose version charon does not have yet (or all, with force). */
  async applyTunnel(desired: DesiredTunnel, force = false): Promise<void> {
    this.track(desired);
    const negotiator = this.negotiator(desired.render.id);
    if (!force && negotiator.version === desired.configVersion) return this.syncRoutes();
    // The routes (an `ip` process or two) and charon's loading at the same time. libipsec needs
    // the local subnet's anchor address when it installs the CHILD_SA, so the initiation waits for
    // the routes only when the tunnel needs an anchor the last sync did not leave in place; the
    // routes into the TUN device only carry traffic, and `connected` is reported once they are
    // synced (routesReady). The job still ends with the sync, under the gateway's mutex, and fails
    // (BullMQ retries it) if the sync did.
    const anchored = this.anchorsInPlace(desired); // before the sync below forgets what it knew
    // The load's request is written first: the sync's `ip` process forks the worker, which blocks
    // its event loop for milliseconds, better spent while charon parses the configuration.
    const load = this.loadTunnels([desired]);
    const routes = this.syncRoutes();
    routes.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const [routesFirst, loaded] = await Promise.allSettled([anchored ? Promise.resolve() : routes, load]);
    if (routesFirst.status === 'rejected') throw routesFirst.reason;
    await negotiator.apply(desired, { force, preloaded: loaded.status === 'fulfilled', routesReady: routes });
    await routes;
  }

  /** Whether every local subnet of the tunnel is the gateway's own or holds its anchor since the last route sync. */
  private anchorsInPlace(d: DesiredTunnel): boolean {
    return d.render.localCidrs.every((c) => c === this.o.subnetCidr || this.anchored.has(c));
  }

  /** Remote subnets of every tunnel on this gateway, routed into the TUN device. */
  private readonly remoteCidrs = new Map<string, string[]>();
  /** Local subnets of every tunnel: each needs an address of the gateway (gateway-routes.ts). */
  private readonly localCidrs = new Map<string, string[]>();
  /** The tunnels' TCP MSS clamps (mss-clamp.ts), by tunnel. */
  private readonly mssClamps = new Map<string, MssClamp>();
  /** Local subnets whose anchor address the last successful route sync left on the VPC leg. */
  private anchored = new Set<string>();
  /** What the namespace's clamp table last held: null before the first sync (a previous worker may have left one). */
  private mssWritten: string | null = null;

  private track(d: DesiredTunnel): void {
    this.remoteCidrs.set(d.render.id, d.render.remoteCidrs);
    this.localCidrs.set(d.render.id, d.render.localCidrs);
    const mss = optionsOf(d.render).tcpMssClamp;
    if (mss === null) this.mssClamps.delete(d.render.id);
    else this.mssClamps.set(d.render.id, { tunnelId: d.render.id, remoteCidrs: d.render.remoteCidrs, mss });
  }

  async syncRoutes(): Promise<void> {
    const localCidrs = [...this.localCidrs.values()].flat();
    // Unknown until this sync succeeds (a failed batch may have left any anchor out).
    this.anchored = new Set();
    await syncGatewayRouting(this.namespace, GATEWAY_VPC_IFACE, {
      ownSubnet: this.o.subnetCidr,
      srcIp: this.o.privateIp,
      localCidrs,
      remoteCidrs: [...this.remoteCidrs.values()].flat(),
    });
    this.anchored = new Set(localCidrs);
    await this.syncMss();
  }

  /**
   * Rewrites the clamp table when it changed (one `nft` run; none on a gateway without clamps). A
   * failure is logged, not thrown: the tunnels work without their clamp, and the next sync retries.
   */
  private async syncMss(): Promise<void> {
    const clamps = [...this.mssClamps.values()].sort((a, b) => a.tunnelId.localeCompare(b.tunnelId));
    const key = JSON.stringify(clamps);
    if (key === this.mssWritten) return;
    try {
      await syncMssClamps(this.namespace, clamps);
      this.mssWritten = key;
    } catch (err) {
      this.log(`${this.o.gatewayId}: TCP MSS clamp sync failed: ${(err as Error).message}`);
    }
  }

  async removeTunnel(tunnelId: string): Promise<void> {
    this.remoteCidrs.delete(tunnelId);
    this.localCidrs.delete(tunnelId);
    this.mssClamps.delete(tunnelId);
    await this.syncRoutes().catch((err) => this.log(`${this.o.gatewayId}: route sync failed: ${(err as Error).message}`));
    const n = this.negotiators.get(tunnelId);
    if (n) {
      await n.remove();
      this.negotiators.delete(tunnelId);
    } else {
      // Not known to this process (worker restarted): unload by name all the same.
      const stranger = new TunnelNegotiator(tunnelId, this.negotiatorDeps());
      await stranger.remove();
    }
  }

  /**
   * The reconciler's pass: every desired tunnel loaded at its version (and charon really has it),
   * every connection charon has that nobody wants unloaded, and every loaded tunnel's SAs checked
   * against its state (TunnelNegotiator.audit). A tunnel this process does not know yet that
   * charon holds at the version last applied (a charon taken over from a previous worker) is
   * adopted as it runs, SAs and all.
   */
  async converge(desired: DesiredTunnel[], opts: { routesInPlace?: boolean } = {}): Promise<void> {
    for (const d of desired) this.track(d);
    // A drain's prepared copy has its routes (tunnel-preload.ts): its tunnels initiate without
    // waiting; only the MSS clamp table, which the preload does not write, is synced.
    if (!opts.routesInPlace) await this.syncRoutes();
    else await this.syncMss();
    const loaded = new Set(await this.commands.getConns());
    const wanted = new Set(desired.map((d) => d.render.id));
    type Action = 'adopt' | 'apply' | 'audit';
    const actionOf = (d: DesiredTunnel): Action => {
      const n = this.negotiators.get(d.render.id);
      const missing = !loaded.has(connName(d.render.id));
      if (!n && !missing && d.appliedVersion === d.configVersion) return 'adopt';
      return !n || n.version !== d.configVersion || missing ? 'apply' : 'audit';
    };
    const actions = desired.map((d) => ({ d, action: actionOf(d) }));
    const preloaded = await this.loadInOnePass(actions.filter((a) => a.action === 'apply').map((a) => a.d));
    for (const { d, action } of actions) {
      const n = this.negotiators.get(d.render.id);
      // Not applyTunnel: the routes of every desired tunnel were synced once above. A re-sync per
      // tunnel cost 4-5 `ip` processes each (1.8 s instead of 0.3-0.6 s for a gateway's 20 tunnels),
      // and each re-sync changes routes, which makes charon roam and send MOBIKE updates on the SAs
      // already up: under load those timed out and tore SAs down (bench/negotiation.ts).
      if (action === 'adopt') {
        await this.negotiator(d.render.id)
          .adopt(d)
          .catch((err) => this.log(`${d.render.id}: adopting failed: ${(err as Error).message}`));
      } else if (action === 'apply') {
        await this.negotiator(d.render.id).apply(d, { force: !loaded.has(connName(d.render.id)), preloaded: preloaded.has(d.render.id) });
      } else {
        // Not awaited: an audit that finds a tunnel to confirm may wait on its rekey check.
        void n!.audit(d.storedConnection).catch((err) => this.log(`${d.render.id}: audit failed: ${(err as Error).message}`));
      }
    }
    for (const name of loaded) {
      if (name.startsWith(CONN_PREFIX) && !wanted.has(name.slice(CONN_PREFIX.length))) await this.removeTunnel(name.slice(CONN_PREFIX.length));
    }
    for (const id of [...this.negotiators.keys()]) if (!wanted.has(id)) await this.removeTunnel(id);
  }

  /**
   * Every secret, then every connection in ONE load-conn message (charon takes several), before
   * any of them initiates: a gateway's 20 tunnels cost 21 VICI round trips instead of 40, and none
   * of them waits behind the first tunnels' key exchanges for charon's attention. The ids loaded;
   * none when charon refuses the batch (each tunnel is then loaded alone, to report its own error).
   */
  private async loadInOnePass(tunnels: DesiredTunnel[]): Promise<Set<string>> {
    if (tunnels.length < 2) return new Set();
    try {
      await this.loadTunnels(tunnels);
      return new Set(tunnels.map((d) => d.render.id));
    } catch (err) {
      this.log(`${this.o.gatewayId}: loading ${tunnels.length} tunnels in one pass failed (${(err as Error).message}); loading them one by one`);
      return new Set();
    }
  }

  /** The tunnels' secrets, then their connections in one message. Throws what charon refused. */
  private loadTunnels(tunnels: DesiredTunnel[]): Promise<void> {
    return loadTunnelsInOneMessage(this.commands, tunnels);
  }

  /** charon went away: negotiators ignore it until reloadAll (no false failures meanwhile). */
  suspendAll(): void {
    for (const n of this.negotiators.values()) n.suspend();
  }

  /** charon was restarted: it lost every connection and secret. */
  async reloadAll(): Promise<void> {
    this.mssWritten = null; // the namespace may have been rebuilt with charon
    await this.syncRoutes(); // the TUN device was recreated: its routes went with the old one
    for (const n of this.negotiators.values()) await n.reload();
  }

  /** This gateway's SAs, for monitoring (blocking list: an SA busy in an exchange is waited for, not skipped). */
  listSas(timeoutMs: number): Promise<IkeSaEntry[]> {
    return this.commands.listSas({ timeoutMs });
  }

  /** Per loaded tunnel, the CHILD_SAs it has when up. */
  expectedChildren(): Map<string, string[]> {
    return new Map([...this.negotiators].map(([id, n]) => [id, n.expectedChildren()]));
  }

  /** Connected tunnels whose last rekey failed (monitoring reports them unhealthy). */
  degradedTunnels(): Set<string> {
    return new Set([...this.negotiators].filter(([, n]) => n.degraded).map(([id]) => id));
  }

  tunnelIds(): string[] {
    return [...this.negotiators.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const n of this.negotiators.values()) n.stop();
    await this.subscription?.unsubscribe().catch(() => undefined);
    await this.events.close().catch(() => undefined);
    await this.session.close().catch(() => undefined);
  }
}

function text(message: ViciSection, key: string): string {
  const v = message[key];
  return typeof v === 'string' ? v : '';
}

/** Anonymous peers are anyone on the internet: a small, bounded memory, the oldest entries go first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > 256) map.delete(map.keys().next().value!);
}
