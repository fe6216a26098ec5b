// The API's alerting settings, read with the rest of the configuration (config/config.ts, which
// passes its integer reader in: no import cycle).

/** config.ts's intSetting bound to the environment and the problem list. */
export type IntReader = (name: string, fallback: number, min: number, max: number) => number;

export interface AlertSettings {
  /** Evaluation period; 0 turns the evaluator and the webhook sender off in this process. */
  evaluationIntervalMs: number;
  /** A sample older than this counts as missing (tunnel health then follows the connection state). */
  sampleMaxAgeMs: number;
  webhookMaxAttempts: number;
  /** First retry delay; each further one doubles. */
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
}

export const DEFAULT_EVALUATION_INTERVAL_MS = 10_000;

export function readAlertSettings(int: IntReader, problems: string[]): AlertSettings {
  const evaluationIntervalMs = int('ALERT_EVALUATION_INTERVAL_MS', DEFAULT_EVALUATION_INTERVAL_MS, 0, 3_600_000);
  if (evaluationIntervalMs > 0 && evaluationIntervalMs < 500) problems.push('ALERT_EVALUATION_INTERVAL_MS must be 0 (off) or at least 500');
  return {
    evaluationIntervalMs,
    sampleMaxAgeMs: int('ALERT_SAMPLE_MAX_AGE_MS', 30_000, 1000, 3_600_000),
    webhookMaxAttempts: int('WEBHOOK_MAX_ATTEMPTS', 5, 1, 20),
    webhookRetryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 2000, 100, 600_000),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 5000, 500, 60_000),
  };
}

/** The period length used to number periods, also when the timer is off (tests drive it). */
export function periodMs(s: AlertSettings): number {
  return s.evaluationIntervalMs || DEFAULT_EVALUATION_INTERVAL_MS;
}
