import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { hostname } from 'os';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { evaluateRule, INITIAL_STATE, sameState } from './alert-evaluation';
import { METRICS, ruleKey } from './alert-metrics';
import { AlertSettings, periodMs } from '../config/alert-settings';
import { AlertEvaluatorQueries } from './alerts.queries';
import { observeGateways, observeTunnels } from './alert-sources.queries';
import { AlertStore, stateKey } from './alert-store.queries';
import { WebhookSender } from './webhook-sender.service';
import { describeError, unavailableDependency } from '../common/dependency-errors';

export interface EvaluationReport {
  period: number;
  resources: number;
  rules: number;
  transitions: number;
  cleared: number;
}

/**
 * Evaluates every bound gateway and tunnel once per period, in the API process. Every replica runs
 * the timer, aligned to period boundaries; one row in PostgreSQL (`alert_evaluator`) is claimed per
 * period with a conditional upsert, so exactly one replica evaluates each period. Each state row
 * also records the last period written, so even an overlapping run never counts a period twice.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AlertEvaluator.name);
  private readonly settings: AlertSettings;
  private readonly store: AlertStore;
  private readonly replica = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sender: WebhookSender,
  ) {
    this.settings = config.alerts;
    this.store = new AlertStore(db);
  }

  onApplicationBootstrap(): void {
    if (this.settings.evaluationIntervalMs > 0) this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const p = this.settings.evaluationIntervalMs;
    // Just after the next boundary: replicas agree on the period, and periods are evenly spaced.
    this.timer = setTimeout(
      () => {
        this.running = this.evaluate(new Date())
          .catch((err) =>
            unavailableDependency(err)
              ? this.logger.warn(`evaluation skipped: ${describeError(err)}`)
              : this.logger.error(`evaluation failed: ${(err as Error).stack ?? err}`),
          )
          .finally(() => {
            this.running = null;
            this.schedule();
          });
      },
      p - (Date.now() % p) + 50,
    );
    this.timer.unref();
  }

  /** Claims the period of `now` and evaluates it; null when another replica (or run) had it. */
  async evaluate(now: Date = new Date()): Promise<EvaluationReport | null> {
    const period = Math.floor(now.getTime() / periodMs(this.settings));
    if (!(await this.claim(period, now))) return null;
    return this.evaluatePeriod(period, now);
  }

  private async claim(period: number, now: Date): Promise<boolean> {
    return new AlertEvaluatorQueries(this.db).claimPeriod(period, this.replica, now);
  }

  private async evaluatePeriod(period: number, now: Date): Promise<EvaluationReport> {
    const maxAge = this.settings.sampleMaxAgeMs;
    const observations = [...(await observeTunnels(this.db, now, maxAge)), ...(await observeGateways(this.db, now, maxAge, periodMs(this.settings)))];
    const templates = await this.store.loadTemplates(observations.map((o) => o.templateId));
    const states = await this.store.loadStates();
    const live = new Set<string>();
    const report: EvaluationReport = { period, resources: observations.length, rules: 0, transitions: 0, cleared: 0 };
    let deliveries = 0;

    for (const o of observations) {
      const template = templates.get(o.templateId);
      if (!template) continue;
      for (const rule of template.rules) {
        if (METRICS[rule.metric].resource !== o.resourceType) continue;
        report.rules++;
        const key = ruleKey(rule);
        const k = stateKey(o.resourceId, template.id, key);
        live.add(k);
        const stored = states.get(k);
        const prev = stored ? { status: stored.status, breaches: stored.breaches } : INITIAL_STATE;
        const value = o.values[rule.metric] ?? null;
        const result = evaluateRule(prev, value, rule);
        if (!result.event && sameState(prev, result.next)) continue; // nothing to write
        try {
          const r = await this.store.apply({
            period,
            now,
            observation: o,
            template,
            rule,
            ruleKey: key,
            stored,
            result,
            value,
            maxAttempts: this.settings.webhookMaxAttempts,
          });
          if (r.applied && result.event) report.transitions++;
          deliveries += r.deliveries;
        } catch (err) {
          // One resource's failure (e.g. it was deleted meanwhile) must not stop the others.
          this.logger.warn(`alert state of ${o.resourceId} / ${template.id} / ${key}: ${(err as Error).message}`);
        }
      }
    }
    for (const [k, s] of states) {
      if (live.has(k)) continue;
      await this.store.clear(s, now);
      report.cleared++;
    }
    if (deliveries) this.sender.kick();
    return report;
  }
}
