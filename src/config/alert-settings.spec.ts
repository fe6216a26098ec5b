import { ConfigError, loadConfig } from './config';
import { periodMs } from './alert-settings';

const GOOD = { DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://r:6379/0', SECRETS_KEY: '0'.repeat(64), ADMIN_API_KEY: 'a'.repeat(24) };

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...GOOD, ...env });
  } catch (err) {
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('alert settings', () => {
  it('defaults: evaluate every 10 s, samples fresh for 30 s, 5 webhook attempts from 2 s', () => {
    expect(loadConfig(GOOD).alerts).toEqual({
      evaluationIntervalMs: 10_000,
      sampleMaxAgeMs: 30_000,
      webhookMaxAttempts: 5,
      webhookRetryBaseMs: 2000,
      webhookTimeoutMs: 5000,
    });
  });

  it('reads every setting; 0 turns the timers off but periods keep the default length', () => {
    const s = loadConfig({
      ...GOOD,
      ALERT_EVALUATION_INTERVAL_MS: '0',
      ALERT_SAMPLE_MAX_AGE_MS: '20000',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '500',
      WEBHOOK_TIMEOUT_MS: '1000',
    }).alerts;
    expect(s).toEqual({ evaluationIntervalMs: 0, sampleMaxAgeMs: 20_000, webhookMaxAttempts: 3, webhookRetryBaseMs: 500, webhookTimeoutMs: 1000 });
    expect(periodMs(s)).toBe(10_000);
    expect(periodMs({ ...s, evaluationIntervalMs: 2000 })).toBe(2000);
  });

  it.each([
    ['ALERT_EVALUATION_INTERVAL_MS', '100'],
    ['ALERT_EVALUATION_INTERVAL_MS', '-1'],
    ['WEBHOOK_MAX_ATTEMPTS', '0'],
    ['WEBHOOK_RETRY_BASE_MS', 'soon'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(problemsOf({ [name]: value })).toEqual([expect.stringContaining(name)]);
  });
});
