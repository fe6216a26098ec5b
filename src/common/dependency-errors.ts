// Which dependency an error says is unreachable (PostgreSQL or Redis), so callers can wait and
// retry instead of failing, the API can answer 503, and logs name the dependency.

/** Socket-level codes: the peer is gone, refused or too slow. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * PostgreSQL SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01-57P03
 * (shut down by the administrator, crash, cannot connect now: starting up or recovering).
 */
const PG_UNAVAILABLE = /^(08...|57P0[123])$/;
/** node-postgres and pg-pool messages when the server went away or never answered. */
const PG_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to/i;
const REDIS_MESSAGES = /Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequestError|Reached the max retries per request limit/i;

export type Dependency = 'PostgreSQL' | 'Redis';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  driverError?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/**
 * The dependency this error says is unreachable, or null for any other error (a bug, a constraint).
 * A bare socket error (ECONNREFUSED) does not say whose socket it was: `socketOwner` says (the
 * caller knows which client it used); without it, PostgreSQL.
 */
export function unavailableDependency(err: unknown, socketOwner: Dependency = 'PostgreSQL', depth = 0): Dependency | null {
  if (!err || typeof err !== 'object' || depth > 3) return null;
  const e = err as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const name = typeof e.name === 'string' ? e.name : '';
  if (/Redis|MaxRetriesPerRequest/.test(name) || REDIS_MESSAGES.test(message)) return 'Redis';
  if (PG_UNAVAILABLE.test(code) || PG_MESSAGES.test(message)) return 'PostgreSQL';
  if (SOCKET_CODES.has(code)) return /redis/i.test(message) ? 'Redis' : socketOwner;
  // TypeORM wraps the driver's error; AggregateError (Node's connect to several addresses) nests them.
  for (const inner of [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = unavailableDependency(inner, socketOwner, depth + 1);
    if (found) return found;
  }
  return null;
}

/** One line for a log: "PostgreSQL unavailable (connect ECONNREFUSED 127.0.0.1:5432)" or the message. */
export function describeError(err: unknown, socketOwner: Dependency = 'PostgreSQL'): string {
  const message = err instanceof Error ? err.message || err.name : String(err);
  const dependency = unavailableDependency(err, socketOwner);
  return dependency ? `${dependency} unavailable (${message || 'no answer'})` : message;
}
