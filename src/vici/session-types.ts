// Options and public types of ViciSession (kept apart so session.ts stays about behaviour).
import type { CodecOptions } from './codec';
import type { ViciError } from './errors';
import type { ViciSection } from './message';

export interface ReconnectOptions {
  initialDelayMs?: number; // default 100
  maxDelayMs?: number; // default 5000
  factor?: number; // default 2
}

/** Optional sink for diagnostics. Messages never contain load-shared secrets. */
export interface ViciLogger {
  debug?(message: string): void;
  warn?(message: string): void;
}

export interface ViciSessionOptions extends CodecOptions {
  socketPath: string;
  /** Default per-operation deadline, counted from the moment it is queued. Default 30 s. */
  timeoutMs?: number;
  /** Back-off for reconnecting after a lost connection; false: stay down until the next command. */
  reconnect?: ReconnectOptions | false;
  logger?: ViciLogger;
}

export interface RequestOptions {
  /** Overrides the session's timeoutMs; Infinity disables the deadline. */
  timeoutMs?: number;
}

export interface StreamOptions extends RequestOptions {
  /** Called for each streamed event as it arrives (they are also returned in `events`). */
  onEvent?(message: ViciSection): void;
}

export type ViciEventHandler = (name: string, message: ViciSection) => void;

export interface ViciSubscription {
  readonly events: readonly string[];
  unsubscribe(): Promise<void>;
}

export type SessionState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'closed';

export type ConnectionChange =
  | { state: 'connected'; reconnected: boolean }
  | { state: 'disconnected'; error: ViciError }
  /** Waiting `delayMs` before the next connection attempt. */
  | { state: 'backoff'; delayMs: number };
