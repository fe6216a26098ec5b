// The lease renewal's statement: the worker's lease thread runs it on its own node-postgres
// connection (lease-renewer-thread.ts); it is the only place a lease is renewed.
import type { ClientBase } from 'pg';

/** The upsert of a lease renewal: registers the host, moves its lease to now() + ttl (database clock). */
const RENEW_LEASE_SQL = `INSERT INTO gateway_hosts (id, hostname, capacity, last_seen_at, lease_expires_at, lease_ttl_ms) VALUES ($1, $2, $3, now(), now() + make_interval(secs => $4::float8 / 1000), $4)
       ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, capacity = EXCLUDED.capacity, lease_expires_at = EXCLUDED.lease_expires_at, lease_ttl_ms = EXCLUDED.lease_ttl_ms,
         -- the "last seen" time moves every 5 s, not every renewal (the console's change feed watches it)
         last_seen_at = CASE WHEN gateway_hosts.last_seen_at < now() - interval '5 seconds' THEN now() ELSE gateway_hosts.last_seen_at END
       RETURNING cordoned, drain_started_at IS NOT NULL AS draining`;

/** Whether an operator cordoned or is draining the host. */
export interface HostFlags {
  cordoned: boolean;
  draining: boolean;
}

export interface LeaseHolder {
  hostId: string;
  hostname: string;
  capacity: number;
  ttlMs: number;
}

/** Renews the lease on a node-postgres connection (the lease thread's; the tests' own). */
export async function renewLeaseOn(client: Pick<ClientBase, 'query'>, h: LeaseHolder): Promise<HostFlags> {
  const { rows } = await client.query<HostFlags>(RENEW_LEASE_SQL, [h.hostId, h.hostname, h.capacity, h.ttlMs]);
  return { cordoned: rows[0]?.cordoned ?? false, draining: rows[0]?.draining ?? false };
}
