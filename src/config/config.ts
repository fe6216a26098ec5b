// One typed configuration, read from the environment once at start and validated: a bad setting
// stops the process with a message naming it. Services receive AppConfig; none reads process.env.
import { createHash } from 'crypto';
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { AlertSettings, readAlertSettings } from './alert-settings';
import { LogFormat, readLogSettings } from '../common/structured-log';

export type DataPlane = 'libipsec' | 'kernel';

export interface AppConfig {
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** 32-byte key for AES-256-GCM encryption of pre-shared keys at rest. */
  secretsKey: Buffer;
  /** The first operator key, created (hashed) at start. */
  adminApiKey: string;
  /** If set, a tenant named `demo` with this API key is ensured at start (the lab and README use it). */
  demoApiKey: string | null;
  /** Where the built web console lives (served at /): WEB_ROOT, by default the repository's web/dist. */
  webRoot: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** LOG_FORMAT: json (one object a line, for a log pipeline) or text (default). */
  logFormat: LogFormat;
  /** Alert evaluation and webhook delivery (src/config/alert-settings.ts). */
  alerts: AlertSettings;
  /** GET /metrics takes an operator API key, or this scrape-only bearer token when set. */
  metricsToken: string | null;
  /** Request throttling, counted in Redis so that it holds across API replicas. */
  rateLimits: RateLimitSettings;
  /** Express's `trust proxy` (`loopback`, `10.0.0.0/8, 10.1.2.3`, or a hop count): who may set X-Forwarded-For; unset, nobody. */
  trustProxy: string | number | null;
  /** Webhooks may target private, loopback and link-local addresses (a lab or an on-premises receiver). */
  webhookAllowPrivate: boolean;
  /** Audit events older than this are deleted (hourly). */
  auditRetentionDays: number;
}

export interface RateLimitSettings {
  /** Failed authentications one client (address) may make per window before it gets 429. */
  authFailures: number;
  authWindowSeconds: number;
  /** Requests one tenant may make per minute (all its keys together); operators are not limited. */
  tenantPerMinute: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export type Env = Record<string, string | undefined>;

function required(env: Env, name: string, problems: string[]): string {
  const value = env[name];
  if (!value) problems.push(`${name} is required`);
  return value ?? '';
}

function parseKey(raw: string, problems: string[]): Buffer {
  // Accept 64 hex characters or base64 of 32 bytes: both are what `openssl rand` prints.
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  const b64 = Buffer.from(raw, 'base64');
  if (raw && b64.length === 32) return b64;
  problems.push('SECRETS_KEY must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)');
  return Buffer.alloc(32);
}

/** The settings the API and the worker share: where state lives and how secrets are sealed. */
export function readSharedSettings(env: Env, problems: string[]): Pick<AppConfig, 'databaseUrl' | 'redisUrl' | 'secretsKey' | 'logLevel' | 'logFormat'> {
  const databaseUrl = required(env, 'DATABASE_URL', problems);
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');
  const redisUrl = required(env, 'REDIS_URL', problems);
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must be a redis:// URL');
  const secretsKey = parseKey(required(env, 'SECRETS_KEY', problems), problems);
  const { logLevel, logFormat } = readLogSettings(env, problems);
  return { databaseUrl, redisUrl, secretsKey, logLevel, logFormat };
}

/** An integer setting with bounds, or the default when unset. */
export function intSetting(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name} must be an integer ${min}..${max} (got "${raw}")`);
  return n;
}

/** TRUST_PROXY: a hop count, or addresses/subnets/names proxy-addr knows (checked here, not on the first request). */
function readTrustProxy(raw: string | undefined, problems: string[]): string | number | null {
  if (!raw) return null;
  if (/^\d+$/.test(raw)) return Number(raw);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('proxy-addr').compile(raw.split(',').map((s) => s.trim()));
  } catch {
    problems.push(`TRUST_PROXY must be a hop count or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal (got "${raw}")`);
  }
  return raw;
}

/** A true/false setting, or the default when unset. */
export function boolSetting(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return fallback;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const port = intSetting(env, 'PORT', 8080, 1, 65535, problems);
  const { databaseUrl, redisUrl, secretsKey, logLevel, logFormat } = readSharedSettings(env, problems);
  const adminApiKey = required(env, 'ADMIN_API_KEY', problems);
  if (adminApiKey && adminApiKey.length < 24) problems.push('ADMIN_API_KEY must be at least 24 characters');
  const demoApiKey = env.DEMO_API_KEY || null;
  if (demoApiKey && demoApiKey.length < 24) problems.push('DEMO_API_KEY must be at least 24 characters');
  const alerts = readAlertSettings((name, fallback, min, max) => intSetting(env, name, fallback, min, max, problems), problems);
  const rateLimits: RateLimitSettings = {
    authFailures: intSetting(env, 'AUTH_FAILURE_LIMIT', 20, 1, 1_000_000, problems),
    authWindowSeconds: intSetting(env, 'AUTH_FAILURE_WINDOW_SECONDS', 300, 1, 86_400, problems),
    tenantPerMinute: intSetting(env, 'TENANT_RATE_LIMIT_PER_MINUTE', 6000, 1, 100_000_000, problems),
  };
  const webhookAllowPrivate = boolSetting(env, 'WEBHOOK_ALLOW_PRIVATE', false, problems);
  const trustProxy = readTrustProxy(env.TRUST_PROXY, problems);
  const auditRetentionDays = intSetting(env, 'AUDIT_RETENTION_DAYS', 400, 1, 36_500, problems);

  if (problems.length) throw new ConfigError(problems);
  return {
    port,
    databaseUrl,
    redisUrl,
    secretsKey,
    adminApiKey,
    demoApiKey,
    webRoot: env.WEB_ROOT || defaultWebRoot(),
    logLevel,
    logFormat,
    alerts,
    metricsToken: env.METRICS_TOKEN || null,
    rateLimits,
    trustProxy,
    webhookAllowPrivate,
    auditRetentionDays,
  };
}

/** The repository this code runs from, sources or dist/ alike: the first folder up with a package.json. */
export function repositoryRoot(from = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** web/dist of the repository this code runs from (else of the working directory). */
export function defaultWebRoot(from = __dirname): string {
  return join(repositoryRoot(from) ?? process.cwd(), 'web', 'dist');
}

/** API keys are stored as SHA-256 digests: they are random and long, so no slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export const APP_CONFIG = Symbol('APP_CONFIG');
