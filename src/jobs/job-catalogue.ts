// The typed catalogue of jobs (after immich's): one queue per gateway host, a payload type
// per job name, deterministic ids so duplicates collapse. No NestJS here: the API and the worker
// both import it.

export const JOB_NAMES = ['gateway.sync', 'gateway.delete', 'tunnel.sync', 'tunnel.delete', 'tunnel.diagnose'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobPayloads {
  /** Provision or repair a gateway on its host: namespace, charon, then its tunnels. */
  'gateway.sync': { gatewayId: string };
  /** Tear a gateway down on its host, then delete its row and unbind its external IP. */
  'gateway.delete': { gatewayId: string };
  /** Make charon match the tunnel's row at `configVersion`: load, (re)initiate. */
  'tunnel.sync': { tunnelId: string; configVersion: number };
  /** Terminate and unload the tunnel, then delete its row. */
  'tunnel.delete': { tunnelId: string };
  /** The host's checks for POST /vpn-tunnels/{id}/diagnose; the job's return value is a TunnelProbe. */
  'tunnel.diagnose': { tunnelId: string; requestId: string };
}

export type JobPayload<N extends JobName> = JobPayloads[N];

/** What an IKE probe of one port heard (negotiation/host/ike-probe.ts). */
export type ProbeResult = 'answered' | 'silent' | 'unreachable';

/** The return value of a `tunnel.diagnose` job: the host's view of the tunnel. */
export interface TunnelProbe {
  hostId: string;
  /** The gateway runs on this host with a charon answering VICI. */
  gatewayServed: boolean;
  /** null: the peer is 0.0.0.0 (no address to ask). */
  peer: { address: string; udp500: ProbeResult; udp4500: ProbeResult } | null;
  /** The tunnel's SAs in the gateway's charon: IKE state, installed children, counters before/after. */
  sas: { ikeState: string | null; childrenInstalled: number; bytesBefore: number; bytesAfter: number; windowMs: number } | null;
}

export function hostQueueName(hostId: string): string {
  return `host.${hostId}`;
}

/** Job states that are still to be done (a queue's depth): not failed, not completed. */
export const PENDING_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/** A queue's depth: its jobs in the pending states (`counts` as BullMQ's getJobCounts returns them). */
export function queueDepth(counts: Record<string, number>): number {
  return PENDING_JOB_STATES.reduce((n, state) => n + (counts[state] ?? 0), 0);
}

/** BullMQ ignores an add whose id exists: a second identical request becomes a no-op. */
export function jobId<N extends JobName>(name: N, payload: JobPayloads[N]): string {
  switch (name) {
    case 'tunnel.sync':
      return `tunnel.sync.${(payload as JobPayloads['tunnel.sync']).tunnelId}.v${(payload as JobPayloads['tunnel.sync']).configVersion}`;
    case 'tunnel.delete':
      return `tunnel.delete.${(payload as JobPayloads['tunnel.delete']).tunnelId}`;
    case 'tunnel.diagnose':
      return `tunnel.diagnose.${(payload as JobPayloads['tunnel.diagnose']).requestId}`;
    default:
      return `${name}.${(payload as { gatewayId: string }).gatewayId}`;
  }
}
