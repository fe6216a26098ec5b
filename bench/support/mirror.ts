// The benchmark's remote side: a namespace on the lab's internet bridge holding remote public
// addresses, with ONE charon that answers for all of them. Each platform tunnel gets its mirrored
// connection loaded over VICI (sides, subnets and ids swapped, start_action none: the mirror only
// responds). 50 legacy-starter sites would cost 50 charons on a 2-core machine. MirrorSet spreads
// more sites over several such mirrors (one per `peersPerMirror` addresses): one charon standing
// for 250 sites answered too late and the run measured its retries, not the product.
import { ChildProcess, spawn } from 'child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { RenderableTunnel } from '../../src/strongswan/tunnel-model';
import { renderLoadConn, renderLoadShared, sharedSecretId, connName } from '../../src/strongswan/vici-conn';
import { ViciCommands, ViciSection, ViciSession } from '../../src/vici';
import { ensureNamespace, removeNamespace, setNamespaceSysctls } from '../../src/negotiation/host/gateway-namespace';
import { deleteLink, ensureVethPair, getLink, replaceRoute, setMaster } from '../../src/negotiation/host/ip-link';
import { run } from '../../src/negotiation/host/exec';
import { LabNames } from '../../lab/lab-names';
import { isAlive, sleep, tailFile, terminate } from '../../src/negotiation/host/process-files';
import { viciVersion } from '../../src/negotiation/host/vici-probe';
import { IKE_DEFAULTS, IPSEC_DEFAULTS } from '../../src/policy/policy';

const CHARON = '/usr/lib/ipsec/charon';
const LAUNCH = 'mount -t tmpfs none /var/run && STRONGSWAN_CONF="$1" exec "$2"';
const IFACE = 'eth0';

/** One platform tunnel as the bench creates it (default policies, one local subnet, one remote CIDR). */
export interface TunnelPlan {
  mirrorId: string; // the mirror's connection id (the platform id is not known before the POST)
  gatewayIp: string;
  peerIp: string;
  localCidr: string;
  remoteCidr: string;
  psk: string;
  // IKE ids as sent in ikePolicy. Tunnels between one gateway and one peer address need distinct
  // ids (the API refuses a duplicate: charon picks the config and the key by addresses and ids).
  localId: string;
  remoteId: string;
}

/** The platform's view of the tunnel, as the worker renders it from the database. */
export function platformView(p: TunnelPlan): RenderableTunnel {
  return {
    id: p.mirrorId,
    name: p.mirrorId,
    gatewayIp: p.gatewayIp,
    peerIp: p.peerIp,
    localCidrs: [p.localCidr],
    remoteCidrs: [p.remoteCidr],
    psk: p.psk,
    ike: { ...IKE_DEFAULTS, exchangeMode: null, localId: p.localId, remoteId: p.remoteId },
    ipsec: { ...IPSEC_DEFAULTS },
  };
}

/** The remote's view: sides, subnets and ids swapped; same key and policies. */
export function mirrored(t: RenderableTunnel): RenderableTunnel {
  return {
    ...t,
    gatewayIp: t.peerIp,
    peerIp: t.gatewayIp,
    localCidrs: t.remoteCidrs,
    remoteCidrs: t.localCidrs,
    ike: { ...t.ike, localId: t.ike.remoteId, remoteId: t.ike.localId },
  };
}

function firstHost(cidr: string): string {
  const [net] = cidr.split('/');
  const parts = net.split('.').map(Number);
  parts[3] += 1;
  return parts.join('.');
}

export function renderMirrorConf(dir: string, threads: number, sites = 1): string {
  return `# strongswan.conf of the benchmark's mirror (remote side), written by bench/negotiation.ts
charon {
  # The mirror stands for ${sites} sites, each with its own charon: each would ask everyone for
  # COOKIEs past its own 30 half-open IKE_SAs (strongSwan 5.9's default), so the mirror does past
  # ${sites} x 30. The per-peer-address thresholds are per peer already: strongSwan's defaults, a
  # COOKIE past 3 half-open (cookie_threshold_ip) and a drop past 5 (block_threshold).
  cookie_threshold = ${30 * sites}
  cookie_threshold_ip = 3
  block_threshold = 5
  install_routes = no
  # Every CHILD_SA makes libipsec add a route, and every route change makes charon "roam": send a
  # MOBIKE address update on ALL its IKE SAs. Fine for a site with 20 SAs; a storm for a mirror
  # with 1000, which then misses retransmit deadlines and drops SAs. Its addresses never change.
  process_route = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  threads = ${threads}
  filelog {
    mirror {
      path = ${join(dir, 'charon.log')}
      time_format = %H:%M:%S
      append = no
      flush_line = yes
      default = ${process.env.BENCH_MIRROR_LOGLEVEL ?? 0}
      ike = 1
      knl = ${process.env.BENCH_MIRROR_LOGLEVEL ?? 0}
      net = ${process.env.BENCH_MIRROR_LOGLEVEL ?? 1}
    }
  }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec {
      load = yes
    }
    kernel-netlink {
      roam_events = no
    }
    vici {
      load = yes
      socket = unix://${join(dir, 'charon.vici')}
    }
  }
}
`;
}

export interface MirrorOptions {
  names: LabNames;
  addresses: string[]; // e.g. 203.0.113.100-149
  prefixLength: number; // 24
  router: string; // 203.0.113.1
  threads?: number;
  nice?: number; // scheduling priority of the mirror charon (default -10)
  /** Which mirror of a MirrorSet (0: the names a single mirror has always had). */
  index?: number;
}

export class Mirror {
  readonly namespace: string;
  readonly port: string;
  readonly dir = mkdtempSync(join(tmpdir(), 'vpn-bench-mirror-'));
  private child: ChildProcess | null = null;
  private session: ViciSession | null = null;
  private commands: ViciCommands | null = null;

  constructor(private readonly o: MirrorOptions) {
    const i = o.index ?? 0;
    this.namespace = `${o.names.prefix}-mirror${i ? i + 1 : ''}`;
    this.port = i ? `m${o.names.prefix}mirror`.slice(0, 12) + String(i + 1) : `m${o.names.prefix}mirror`.slice(0, 15);
  }

  get viciSocket(): string {
    return join(this.dir, 'charon.vici');
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** The remote public addresses this mirror holds. */
  get addresses(): readonly string[] {
    return this.o.addresses;
  }

  /**
   * Plugs the namespace in and starts charon. `plans`: every tunnel that will ever be loaded.
   * libipsec routes each outbound policy into its TUN device sourced from a local address inside
   * the local traffic selector (charon.install_routes = no does not stop it): without one, the
   * CHILD_SA fails with "unable to install IPsec policies (SPD)". So the namespace gets one /32 per
   * remote subnet on lo, BEFORE charon starts: added afterwards, 1000 addresses overflow charon's
   * netlink event socket and it misses most of them (only ~240 of 1000 children came up).
   */
  async start(plans: TunnelPlan[]): Promise<void> {
    const { names } = this.o;
    const inet = names.inetNamespace;
    if (!(await getLink(inet, names.inetBridge))) throw new Error(`lab internet ${inet} is not up`);
    await ensureNamespace(this.namespace);
    // No IPv6: link-local addresses finishing DAD look like address changes to charon (roaming).
    await setNamespaceSysctls(this.namespace, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    await ensureVethPair({ namespace: this.namespace, name: IFACE }, { namespace: inet, name: this.port }, 'bench-mirror');
    await setMaster(inet, this.port, names.inetBridge);
    // One batch instead of 50 `ip addr add`.
    const batch = this.o.addresses.map((a) => `addr replace ${a}/${this.o.prefixLength} dev ${IFACE}`).join('\n');
    await run('ip', ['-n', this.namespace, '-batch', '-'], { input: `${batch}\n` });
    await replaceRoute(this.namespace, 'default', this.o.router, IFACE);
    const locals = plans.map((p) => `addr replace ${firstHost(p.remoteCidr)}/32 dev lo`).join('\n');
    if (plans.length) await run('ip', ['-n', this.namespace, '-batch', '-'], { input: `${locals}\n` });
    await setNamespaceSysctls(this.namespace, { 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 });

    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, 'strongswan.conf');
    writeFileSync(conf, renderMirrorConf(this.dir, this.o.threads ?? 32, this.o.addresses.length));
    const out = openSync(join(this.dir, 'charon.out'), 'a');
    try {
      // Niced up: it stands for 50 remote sites that would each have their own CPU. Starved of CPU
      // on this 2-core host, it answered too late and the platform's 9.5 s retransmit limit tore
      // SAs down, so the run measured the mirror instead of the platform.
      this.child = spawn(
        'nice',
        ['-n', String(this.o.nice ?? -10), 'ip', 'netns', 'exec', this.namespace, 'unshare', '-m', 'sh', '-c', LAUNCH, 'sh', conf, CHARON],
        { stdio: ['ignore', out, out] },
      );
    } finally {
      closeSync(out);
    }
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`mirror charon exited: ${tailFile(join(this.dir, 'charon.out'), 10)}`);
      try {
        await viciVersion(this.viciSocket, 1000);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`mirror charon did not answer VICI: ${(e as Error).message}`, { cause: e });
      }
      await sleep(100);
    }
    this.session = new ViciSession({ socketPath: this.viciSocket, timeoutMs: 30_000 });
    await this.session.connect();
    this.commands = new ViciCommands(this.session);
  }

  /** Loads the mirrored connection and key of every planned platform tunnel. */
  async load(plans: TunnelPlan[]): Promise<void> {
    const c = this.requireCommands();
    for (const p of plans) {
      const m = mirrored(platformView(p));
      const conn = renderLoadConn(m, { autoStart: false });
      // The platform probes its peers (DPD every 8 s); the mirror does not probe back. With 1000
      // SAs in one process that halves the keep-alive traffic it must serve (50 real sites would
      // each handle 20 SAs, on their own CPUs).
      (conn[connName(m.id)] as ViciSection).dpd_delay = '0s';
      await c.loadShared(renderLoadShared(m));
      await c.loadConn(conn);
    }
  }

  async unload(plans: TunnelPlan[]): Promise<void> {
    const c = this.requireCommands();
    for (const p of plans) {
      await c.terminate({ ike: connName(p.mirrorId), force: true, timeout: -1 }).catch(() => undefined);
      await c.unloadConn(connName(p.mirrorId)).catch(() => undefined);
      await c.unloadShared(sharedSecretId(p.mirrorId)).catch(() => undefined);
    }
  }

  async conns(): Promise<number> {
    return (await this.requireCommands().getConns()).length;
  }

  /** IKE SAs the mirror holds with an installed CHILD_SA (a cross-check of the API's count). */
  async installedChildren(): Promise<number> {
    const sas = await this.requireCommands().listSas({ noblock: true });
    return sas.reduce((n, s) => n + s.children.filter((ch) => ch.state === 'INSTALLED').length, 0);
  }

  /** The namespace's UDP counters: RcvbufErrors > 0 means IKE packets were dropped on arrival. */
  async udpStats(): Promise<Record<string, number>> {
    const { stdout } = await run('ip', ['netns', 'exec', this.namespace, 'cat', '/proc/net/snmp']);
    const [names, values] = stdout.split('\n').filter((l) => l.startsWith('Udp:'));
    const keys = names.split(/\s+/).slice(1);
    const nums = values.split(/\s+/).slice(1).map(Number);
    return Object.fromEntries(
      keys.map((k, i) => [k, nums[i]]).filter(([k]) => ['InDatagrams', 'InErrors', 'RcvbufErrors', 'OutDatagrams'].includes(k as string)),
    );
  }

  logTail(lines = 20): string {
    return tailFile(join(this.dir, 'charon.log'), lines);
  }

  private requireCommands(): ViciCommands {
    if (!this.commands) throw new Error('mirror not started');
    return this.commands;
  }

  /** Stops charon, removes the namespace, the port on the internet bridge and the directory. */
  async stop(): Promise<void> {
    await this.session?.close().catch(() => undefined);
    this.session = null;
    this.commands = null;
    const pid = this.child?.pid;
    if (pid && isAlive(pid)) await terminate(pid, 3000);
    this.child = null;
    await deleteLink(this.o.names.inetNamespace, this.port).catch(() => undefined);
    await removeNamespace(this.namespace, { killProcesses: true }).catch(() => undefined);
    if (!process.env.KEEP_BENCH_DIR) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Several mirrors, each holding `peersPerMirror` consecutive peer addresses (and the tunnels towards
 * them), behind the one Mirror's interface. With 50 per mirror the 50-gateway run keeps its one mirror.
 */
export class MirrorSet {
  readonly mirrors: Mirror[];
  private readonly byAddress = new Map<string, Mirror>();

  constructor(o: Omit<MirrorOptions, 'router' | 'index'> & { peersPerMirror: number; routerOf: (address: string) => string }) {
    const per = Math.max(1, o.peersPerMirror);
    const chunks: string[][] = [];
    for (let i = 0; i < o.addresses.length; i += per) chunks.push(o.addresses.slice(i, i + per));
    // The default route's next hop must be on a connected network: the router of the chunk's first address.
    this.mirrors = chunks.map((addresses, index) => new Mirror({ ...o, addresses, index, router: o.routerOf(addresses[0]) }));
    for (const m of this.mirrors) for (const a of m.addresses) this.byAddress.set(a, m);
  }

  get pids(): number[] {
    return this.mirrors.map((m) => m.pid).filter((p): p is number => p !== null);
  }

  get namespaces(): string[] {
    return this.mirrors.map((m) => m.namespace);
  }

  private split(plans: TunnelPlan[]): [Mirror, TunnelPlan[]][] {
    const out = new Map<Mirror, TunnelPlan[]>(this.mirrors.map((m) => [m, []]));
    for (const p of plans) {
      const m = this.byAddress.get(p.peerIp);
      if (!m) throw new Error(`no mirror holds peer address ${p.peerIp}`);
      out.get(m)!.push(p);
    }
    return [...out];
  }

  /** Starts every mirror (in parallel) with the plans towards its addresses. */
  async start(plans: TunnelPlan[]): Promise<void> {
    await Promise.all(this.split(plans).map(([m, own]) => m.start(own)));
  }

  async load(plans: TunnelPlan[]): Promise<void> {
    await Promise.all(this.split(plans).map(([m, own]) => (own.length ? m.load(own) : undefined)));
  }

  async unload(plans: TunnelPlan[]): Promise<void> {
    await Promise.all(this.split(plans).map(([m, own]) => (own.length ? m.unload(own) : undefined)));
  }

  async conns(): Promise<number> {
    return (await Promise.all(this.mirrors.map((m) => m.conns()))).reduce((a, b) => a + b, 0);
  }

  async installedChildren(): Promise<number> {
    return (await Promise.all(this.mirrors.map((m) => m.installedChildren()))).reduce((a, b) => a + b, 0);
  }

  /** The mirrors' UDP counters, summed. */
  async udpStats(): Promise<Record<string, number>> {
    const all = await Promise.all(this.mirrors.map((m) => m.udpStats()));
    const sum: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(s)) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  logTail(lines = 20): string {
    return this.mirrors.map((m) => `--- ${m.namespace} ---\n${m.logTail(lines)}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.mirrors.map((m) => m.stop()));
  }
}
