import { availableParallelism, hostname } from 'os';
import { ConfigError, Env, intSetting, readSharedSettings } from '../config/config';
import { LogFormat } from '../common/structured-log';
import { DataPlane } from './host/charon-config';
import { VxlanSettings } from './host/vxlan-network-driver';
import { maxMainStallMs } from '../hosts/host-lease';

export type NetworkDriverName = 'lab' | 'vxlan';
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** The vxlan driver's host settings (PUBLIC_BRIDGE, VXLAN_*); null with NETWORK_DRIVER=lab. */
function readVxlanSettings(env: Env, problems: string[]): VxlanSettings {
  const publicBridge = env.PUBLIC_BRIDGE ?? '';
  if (!IFNAME.test(publicBridge))
    problems.push('PUBLIC_BRIDGE must name the host bridge carrying the public network (1-15 of A-Z a-z 0-9 _ . -) with NETWORK_DRIVER=vxlan');
  const underlayInterface = env.VXLAN_UNDERLAY_IFACE ?? '';
  if (!IFNAME.test(underlayInterface))
    problems.push('VXLAN_UNDERLAY_IFACE must name the underlay interface (1-15 of A-Z a-z 0-9 _ . -) with NETWORK_DRIVER=vxlan');
  const localIp = env.VXLAN_LOCAL_IP || null;
  if (localIp && !IPV4.test(localIp)) problems.push('VXLAN_LOCAL_IP must be an IPv4 address');
  const peers = (env.VXLAN_PEERS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (peers.some((x) => !IPV4.test(x))) problems.push("VXLAN_PEERS must be comma-separated IPv4 addresses (the compute hosts' VTEPs)");
  const group = env.VXLAN_GROUP || null;
  if (group && !(IPV4.test(group) && Number(group.split('.')[0]) >= 224 && Number(group.split('.')[0]) <= 239))
    problems.push('VXLAN_GROUP must be an IPv4 multicast address (224.0.0.0-239.255.255.255)');
  if (peers.length > 0 === !!group) problems.push('exactly one of VXLAN_PEERS and VXLAN_GROUP is required with NETWORK_DRIVER=vxlan');
  const hostNamespace = env.VXLAN_HOST_NETNS || null;
  if (hostNamespace && !/^[A-Za-z0-9_.-]{1,64}$/.test(hostNamespace)) problems.push('VXLAN_HOST_NETNS must be a network namespace name');
  return { publicBridge, underlayInterface, localIp, peers, group, port: intSetting(env, 'VXLAN_PORT', 4789, 1, 65535, problems), hostNamespace };
}

/**
 * Gateways provisioned at once, from the host's cores: a gateway's provisioning mostly waits (on
 * `ip`, charon's start-up, PostgreSQL), so four per core keep the cores busy without a pile-up of
 * 50 charons starting together on a small host (2 cores: 8; capped at 32).
 */
export function defaultReconcileConcurrency(cores = availableParallelism()): number {
  return Math.min(32, Math.max(4, 4 * cores));
}
export interface WorkerConfig {
  databaseUrl: string;
  redisUrl: string;
  secretsKey: Buffer;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  logFormat: LogFormat;
  /** This gateway host's id: its queue is `host.<id>`. */
  hostId: string;
  /** Gateways this host accepts. */
  capacity: number;
  gatewaysDir: string;
  /**
   * How gateways are plugged into the public network and the VPCs: a VXLAN fabric, or the lab's
   * bridges (only in the lab's worker, lab/lab-worker.ts, which also reads LAB_PREFIX): see host/network-drivers.ts.
   */
  networkDriver: NetworkDriverName;
  /** The vxlan driver's host settings; null with the lab driver. */
  vxlan: VxlanSettings | null;
  dataPlane: DataPlane;
  retryIntervalMs: number;
  quickRetryMs: number;
  initiateTimeoutMs: number;
  reconcileIntervalMs: number;
  /** The host's lease in PostgreSQL: renewed every leaseRenewMs, valid for leaseTtlMs (database clock). */
  leaseRenewMs: number;
  leaseTtlMs: number;
  /** The worker fences itself this long before its own (conservative) view of the lease's end. */
  leaseFenceMarginMs: number;
  /**
   * The lease thread stops renewing once the main thread has been stalled this long (a hung worker
   * must still lose its lease); default maxMainStallMs(leaseTtlMs): 30 s, or five TTLs.
   */
  leaseMaxMainStallMs: number;
  jobConcurrency: number;
  /** Gateways one reconcile pass syncs at the same time (a cold start of a full host). */
  reconcileConcurrency: number;
  /** Monitoring: collection period, sample retention, how often old samples are deleted. */
  metricsIntervalMs: number;
  metricsRetentionDays: number;
  metricsPruneIntervalMs: number;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const problems: string[] = [];
  const shared = readSharedSettings(env, problems);
  const hostId =
    env.HOST_ID ??
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(hostId)) problems.push('HOST_ID must be 1-63 lowercase letters, digits and hyphens');
  const networkDriver = (env.NETWORK_DRIVER ?? 'lab') as NetworkDriverName;
  if (!['lab', 'vxlan'].includes(networkDriver)) problems.push('NETWORK_DRIVER must be lab or vxlan');
  const vxlan = networkDriver === 'vxlan' ? readVxlanSettings(env, problems) : null;
  const dataPlane = (env.DATA_PLANE ?? 'libipsec') as DataPlane;
  if (!['libipsec', 'kernel'].includes(dataPlane)) problems.push('DATA_PLANE must be libipsec or kernel');
  const config: WorkerConfig = {
    ...shared,
    hostId,
    capacity: intSetting(env, 'HOST_CAPACITY', 50, 1, 1000, problems),
    gatewaysDir: env.GATEWAYS_DIR ?? '/var/lib/vpn-console/gateways',
    networkDriver,
    vxlan,
    dataPlane,
    retryIntervalMs: intSetting(env, 'RETRY_INTERVAL_MS', 12_000, 100, 600_000, problems),
    quickRetryMs: intSetting(env, 'QUICK_RETRY_MS', 1000, 0, 60_000, problems),
    initiateTimeoutMs: intSetting(env, 'INITIATE_TIMEOUT_MS', 20_000, 1000, 120_000, problems),
    reconcileIntervalMs: intSetting(env, 'RECONCILE_INTERVAL_MS', 30_000, 1000, 3_600_000, problems),
    leaseRenewMs: intSetting(env, 'HOST_LEASE_RENEW_MS', 1000, 200, 30_000, problems),
    leaseTtlMs: intSetting(env, 'HOST_LEASE_TTL_MS', 4000, 1000, 300_000, problems),
    leaseFenceMarginMs: intSetting(env, 'HOST_LEASE_FENCE_MARGIN_MS', 500, 0, 60_000, problems),
    leaseMaxMainStallMs: 0, // below: its default follows the TTL
    jobConcurrency: intSetting(env, 'JOB_CONCURRENCY', 8, 1, 64, problems),
    reconcileConcurrency: intSetting(env, 'RECONCILE_CONCURRENCY', defaultReconcileConcurrency(), 1, 32, problems),
    metricsIntervalMs: intSetting(env, 'METRICS_INTERVAL_MS', 10_000, 500, 3_600_000, problems),
    metricsRetentionDays: intSetting(env, 'METRICS_RETENTION_DAYS', 30, 1, 3650, problems),
    metricsPruneIntervalMs: intSetting(env, 'METRICS_PRUNE_INTERVAL_MS', 3_600_000, 10_000, 86_400_000, problems),
  };
  // Renewals must fit in a lease, with the fence margin left over.
  if (!problems.length && config.leaseRenewMs * 2 + config.leaseFenceMarginMs > config.leaseTtlMs) {
    problems.push('HOST_LEASE_TTL_MS must be at least 2 x HOST_LEASE_RENEW_MS + HOST_LEASE_FENCE_MARGIN_MS');
  }
  config.leaseMaxMainStallMs = intSetting(env, 'HOST_LEASE_MAX_MAIN_STALL_MS', maxMainStallMs(config.leaseTtlMs), 1000, 3_600_000, problems);
  if (!problems.length && config.leaseMaxMainStallMs < config.leaseTtlMs) problems.push('HOST_LEASE_MAX_MAIN_STALL_MS must be at least HOST_LEASE_TTL_MS');
  if (problems.length) throw new ConfigError(problems);
  return config;
}
