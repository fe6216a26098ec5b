// Fixed-window counters in Redis, shared by every API replica: failed authentications per client
// address, requests per tenant. Redis being away must not take the API down with it: the limiter
// then lets requests through (and says so in the log once a minute).
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import IORedis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../config/config';
import { TooManyRequests } from '../common/errors';

// INCR, setting the window's expiry on the first hit; returns [count, milliseconds left].
const HIT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

// The count so far and the milliseconds left, in one round trip (was GET and PTTL): every agent
// request and every API request checks it.
const PEEK = `local n = redis.call('GET', KEYS[1])
return {tonumber(n) or 0, redis.call('PTTL', KEYS[1])}`;

// An authenticated request's two checks in one round trip (were a PEEK and a HIT, two scripts on
// every request): the client's failures so far and, unless they block it, one count against the
// tenant's budget. Returns [failures, their ms left] or [failures, ms left, count, ms left].
const ADMIT = `local f = tonumber(redis.call('GET', KEYS[1])) or 0
local fttl = redis.call('PTTL', KEYS[1])
if f >= tonumber(ARGV[2]) then return {f, fttl} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {f, fttl, n, ttl}`;

/** The scripts as ioredis commands (EVALSHA, the script's text only when Redis lacks it). */
type LimiterRedis = IORedis & {
  rateHit(key: string, windowMs: string): Promise<[number, number]>;
  ratePeek(key: string): Promise<[number, number]>;
  rateAdmit(peekKey: string, hitKey: string, windowMs: string, limit: string): Promise<[number, number] | [number, number, number, number]>;
};

export interface Hit {
  count: number;
  retryAfterSeconds: number;
}

@Injectable()
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimiter');
  private readonly redis: LimiterRedis;
  private lastWarning = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Auto-pipelining: the checks of the requests one event-loop turn handles go out in one write
    // (after a route change, every agent's poll arrives within a few milliseconds).
    const redis = new IORedis(config.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      commandTimeout: 1000,
      enableAutoPipelining: true,
    });
    redis.defineCommand('rateHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('ratePeek', { numberOfKeys: 1, lua: PEEK });
    redis.defineCommand('rateAdmit', { numberOfKeys: 2, lua: ADMIT });
    redis.on('error', () => undefined);
    this.redis = redis as LimiterRedis;
  }

  /** Connects at start (without waiting: a Redis that is away must not stop the API starting). */
  onModuleInit(): void {
    this.redis.connect().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.redis.disconnect();
  }

  /** Counts one event against `key` in a window of `windowSeconds`; null when Redis did not answer. */
  async hit(key: string, windowSeconds: number): Promise<Hit | null> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      const [count, ttl] = await this.redis.rateHit(`vpn-console:rate:${key}`, String(windowSeconds * 1000));
      return { count, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    } catch (err) {
      this.warnUnavailable(err);
      return null;
    }
  }

  /**
   * `peek(peekKey)` and, when its count is below `limit`, `hit(hitKey, windowSeconds)`, in one
   * round trip: `hit` is null when the peeked count reached the limit (nothing counted); null
   * altogether when Redis did not answer.
   */
  async admit(peekKey: string, limit: number, hitKey: string, windowSeconds: number): Promise<{ peeked: Hit; hit: Hit | null } | null> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      const [f, fttl, n, ttl] = await this.redis.rateAdmit(
        `vpn-console:rate:${peekKey}`,
        `vpn-console:rate:${hitKey}`,
        String(windowSeconds * 1000),
        String(limit),
      );
      const peeked = { count: f, retryAfterSeconds: Math.max(1, Math.ceil(fttl / 1000)) };
      return { peeked, hit: n === undefined ? null : { count: n, retryAfterSeconds: Math.max(1, Math.ceil(ttl! / 1000)) } };
    } catch (err) {
      this.warnUnavailable(err);
      return null;
    }
  }

  private warnUnavailable(err: unknown): void {
    if (Date.now() - this.lastWarning > 60_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`rate limits not enforced: Redis did not answer (${(err as Error).message})`);
    }
  }

  /** The failures recorded for a client so far in its window (without counting one). */
  async peek(key: string): Promise<Hit | null> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      const [count, ttl] = await this.redis.ratePeek(`vpn-console:rate:${key}`);
      return { count, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    } catch {
      return null;
    }
  }
}

/** Who is calling, for throttling and logs: the client address (X-Forwarded-For only behind TRUST_PROXY). */
export function clientAddress(request: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return request.ip ?? request.socket?.remoteAddress ?? 'unknown';
}

/** Failed authentication: throttled per client address, logged with the key's first characters only. */
@Injectable()
export class AuthThrottle {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** 429 whatever the credential, for a client that used up its failures. */
  async assertNotBlocked(client: string): Promise<void> {
    this.refuseBlocked(await this.limiter.peek(`authfail:${client}`));
  }

  /**
   * A valid tenant key's request: 429 when its client is blocked (as `assertNotBlocked`, nothing
   * counted), else one request counted against `budgetKey`'s window, returned. One round trip.
   */
  async admit(client: string, budgetKey: string, windowSeconds: number): Promise<Hit | null> {
    const r = await this.limiter.admit(`authfail:${client}`, this.config.rateLimits.authFailures, budgetKey, windowSeconds);
    if (!r) return null;
    this.refuseBlocked(r.peeked);
    return r.hit;
  }

  private refuseBlocked(seen: Hit | null): void {
    if (seen && seen.count >= this.config.rateLimits.authFailures) {
      throw new TooManyRequests(`too many failed authentications from this address: retry in ${seen.retryAfterSeconds} s`, seen.retryAfterSeconds);
    }
  }

  /** Counts a presented credential that did not authenticate, and logs it without the secret. */
  async failed(client: string, credential: string, kind: 'API key' | 'agent token'): Promise<void> {
    const hit = await this.limiter.hit(`authfail:${client}`, this.config.rateLimits.authWindowSeconds);
    // A prefix short enough to tell keys apart in a log, far too short to help guess one.
    const prefix = credential.length >= 16 ? `${credential.slice(0, 4)}…` : '(short)';
    this.logger.warn(`failed authentication from ${client}: unknown or revoked ${kind} ${prefix} (${hit?.count ?? '?'} in this window)`);
  }
}
