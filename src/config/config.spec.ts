import { join } from 'path';
import { ConfigError, defaultWebRoot, hashApiKey, intSetting, loadConfig } from './config';

const HEX_KEY = '00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF';
const B64_KEY = Buffer.alloc(32, 7).toString('base64');

const GOOD = {
  DATABASE_URL: 'postgres://vpn:pw@db:5432/vpn',
  REDIS_URL: 'redis://redis:6379/0',
  SECRETS_KEY: HEX_KEY,
  ADMIN_API_KEY: 'a'.repeat(24),
};

/** The ConfigError's problems for an env, failing the test if loadConfig accepts it. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads a good environment, with defaults for what is optional', () => {
    const config = loadConfig({ ...GOOD });
    expect(config).toEqual({
      port: 8080,
      databaseUrl: GOOD.DATABASE_URL,
      redisUrl: GOOD.REDIS_URL,
      secretsKey: Buffer.from(HEX_KEY, 'hex'),
      adminApiKey: GOOD.ADMIN_API_KEY,
      demoApiKey: null,
      webRoot: join(__dirname, '..', '..', 'web', 'dist'),
      logLevel: 'log',
      logFormat: 'text',
      alerts: { evaluationIntervalMs: 10_000, sampleMaxAgeMs: 30_000, webhookMaxAttempts: 5, webhookRetryBaseMs: 2000, webhookTimeoutMs: 5000 },
      metricsToken: null,
      rateLimits: { authFailures: 20, authWindowSeconds: 300, tenantPerMinute: 6000 },
      trustProxy: null,
      webhookAllowPrivate: false,
      auditRetentionDays: 400,
    });
    expect(config.secretsKey).toHaveLength(32);
  });

  it('reads the rate limits, the proxy trust and the webhook egress setting, and names a bad one', () => {
    const config = loadConfig({
      ...GOOD,
      AUTH_FAILURE_LIMIT: '5',
      AUTH_FAILURE_WINDOW_SECONDS: '60',
      TENANT_RATE_LIMIT_PER_MINUTE: '100',
      TRUST_PROXY: 'loopback',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect(config).toMatchObject({
      rateLimits: { authFailures: 5, authWindowSeconds: 60, tenantPerMinute: 100 },
      trustProxy: 'loopback',
      webhookAllowPrivate: true,
    });
    expect(() => loadConfig({ ...GOOD, TENANT_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/TENANT_RATE_LIMIT_PER_MINUTE must be an integer 1\.\.100000000/);
    expect(() => loadConfig({ ...GOOD, WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE must be true or false/);
    expect(loadConfig({ ...GOOD, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...GOOD, TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toBe('10.0.0.0/8, loopback');
    expect(() => loadConfig({ ...GOOD, TRUST_PROXY: 'the-balancer' })).toThrow(/TRUST_PROXY must be a hop count/);
  });

  it('reads every optional setting', () => {
    const config = loadConfig({ ...GOOD, PORT: '3000', DEMO_API_KEY: 'd'.repeat(30), WEB_ROOT: '/srv/web', LOG_LEVEL: 'debug' });
    expect(config).toMatchObject({ port: 3000, demoApiKey: 'd'.repeat(30), webRoot: '/srv/web', logLevel: 'debug' });
  });

  it('finds web/dist from the compiled layout too (dist/src/config -> the repository root)', () => {
    const root = join(__dirname, '..', '..');
    expect(defaultWebRoot(join(root, 'dist', 'src', 'config'))).toBe(join(root, 'web', 'dist'));
  });

  it.each([['postgres://u@h/db'], ['postgresql://u:p@h:5432/db']])('accepts DATABASE_URL %s', (url) =>
    expect(loadConfig({ ...GOOD, DATABASE_URL: url }).databaseUrl).toBe(url),
  );

  it.each([['redis://localhost:6379'], ['rediss://secure:6380/1']])('accepts REDIS_URL %s', (url) => {
    expect(loadConfig({ ...GOOD, REDIS_URL: url }).redisUrl).toBe(url);
  });

  it.each(['1', '80', '65535'])('accepts PORT %s', (port) => expect(loadConfig({ ...GOOD, PORT: port }).port).toBe(Number(port)));

  it.each(['error', 'warn', 'log', 'debug'])('accepts LOG_LEVEL %s', (level) => expect(loadConfig({ ...GOOD, LOG_LEVEL: level }).logLevel).toBe(level));

  describe('SECRETS_KEY', () => {
    it('accepts 64 hex characters (either case)', () => {
      expect(loadConfig({ ...GOOD, SECRETS_KEY: HEX_KEY }).secretsKey.toString('hex')).toBe(HEX_KEY.toLowerCase());
    });

    it('accepts base64 of 32 bytes', () => {
      expect(loadConfig({ ...GOOD, SECRETS_KEY: B64_KEY }).secretsKey).toEqual(Buffer.alloc(32, 7));
    });

    it.each([
      ['short', 'too short'],
      [HEX_KEY.slice(0, 62), '31 bytes of hex'],
      [`${HEX_KEY}00`, '33 bytes of hex'],
      [Buffer.alloc(31, 1).toString('base64'), '31 bytes of base64'],
      [Buffer.alloc(33, 1).toString('base64'), '33 bytes of base64'],
      [Buffer.alloc(16, 1).toString('base64'), '16 bytes of base64'],
    ])('rejects %p (%s)', (key) => {
      expect(problemsOf({ ...GOOD, SECRETS_KEY: key })).toEqual([expect.stringContaining('SECRETS_KEY')]);
    });

    it('is required', () => {
      const problems = problemsOf({ ...GOOD, SECRETS_KEY: undefined });
      expect(problems).toContain('SECRETS_KEY is required');
    });
  });

  it.each([
    ['DATABASE_URL', undefined, 'DATABASE_URL is required'],
    ['DATABASE_URL', '', 'DATABASE_URL is required'],
    ['DATABASE_URL', 'mysql://u@h/db', 'DATABASE_URL must be a postgres:// URL'],
    ['DATABASE_URL', 'db:5432', 'DATABASE_URL must be a postgres:// URL'],
    ['REDIS_URL', undefined, 'REDIS_URL is required'],
    ['REDIS_URL', 'http://redis:6379', 'REDIS_URL must be a redis:// URL'],
    ['REDIS_URL', 'redis:6379', 'REDIS_URL must be a redis:// URL'],
    ['ADMIN_API_KEY', undefined, 'ADMIN_API_KEY is required'],
    ['ADMIN_API_KEY', 'a'.repeat(23), 'ADMIN_API_KEY must be at least 24 characters'],
    ['ADMIN_API_KEY', 'admin', 'ADMIN_API_KEY must be at least 24 characters'],
    ['DEMO_API_KEY', 'demo', 'DEMO_API_KEY must be at least 24 characters'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of error, warn, log, debug'],
    ['LOG_LEVEL', 'INFO', 'LOG_LEVEL must be one of error, warn, log, debug'],
    ['LOG_LEVEL', '', 'LOG_LEVEL must be one of error, warn, log, debug'],
  ])('%s = %p -> %p', (name, value, problem) => {
    expect(problemsOf({ ...GOOD, [name]: value })).toEqual([problem]);
  });

  it.each(['0', '65536', '-1', '80.5', 'http', '8080abc', ''])('PORT %p is refused, naming PORT and the value', (port) => {
    expect(problemsOf({ ...GOOD, PORT: port })).toEqual([`PORT must be an integer 1..65535 (got "${port}")`]);
  });

  it('accepts an ADMIN_API_KEY of exactly 24 characters', () => {
    expect(loadConfig({ ...GOOD, ADMIN_API_KEY: 'k'.repeat(24) }).adminApiKey).toBe('k'.repeat(24));
  });

  it('an empty DEMO_API_KEY means none', () => {
    expect(loadConfig({ ...GOOD, DEMO_API_KEY: '' }).demoApiKey).toBeNull();
  });

  it('names every bad setting at once, in the error message too', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud', ADMIN_API_KEY: 'short', REDIS_URL: 'tcp://r' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'SECRETS_KEY', 'ADMIN_API_KEY', 'LOG_LEVEL']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
      expect(message).toContain(name);
    }
  });

  it('an empty environment is refused', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
  });
});

describe('intSetting', () => {
  it('returns the fallback when unset, the value when in bounds', () => {
    const problems: string[] = [];
    expect(intSetting({}, 'N', 7, 1, 10, problems)).toBe(7);
    expect(intSetting({ N: '1' }, 'N', 7, 1, 10, problems)).toBe(1);
    expect(intSetting({ N: '10' }, 'N', 7, 1, 10, problems)).toBe(10);
    expect(problems).toEqual([]);
  });

  it.each(['0', '11', '2.5', 'ten', ''])('names the setting for %p', (raw) => {
    const problems: string[] = [];
    intSetting({ N: raw }, 'N', 7, 1, 10, problems);
    expect(problems).toEqual([`N must be an integer 1..10 (got "${raw}")`]);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 hex digest', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
