import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SECRET_BOX, SecretBox } from '../common/secret-box';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AlertSettings } from '../config/alert-settings';
import { ClaimedDelivery, WebhookDeliveryQueries } from './alerts.queries';
import { DELIVERY_HEADER, deliveryOutcome, EVENT_HEADER, signBody, SIGNATURE_HEADER } from './webhook-signature';
import { describeError, unavailableDependency } from '../common/dependency-errors';
import { EgressRefused, egressProblem, guardedLookup } from './webhook-egress';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';
import { isIP } from 'net';

/** The one reason a tenant sees for any network failure (see attempt()). */
export const NO_ANSWER = 'the receiver did not answer (connection failed or timed out)';

const POLL_MS = 1000;
const BATCH = 20;

/**
 * Drains `webhook_deliveries`: every replica polls; a due delivery is claimed with FOR UPDATE SKIP
 * LOCKED by pushing its next attempt past the request timeout (a lease), then POSTed outside any
 * transaction. A replica that dies mid-request loses only the lease: the delivery is retried later
 * with the same id (at least once; receivers dedupe on X-VPN-Delivery).
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSender.name);
  private readonly settings: AlertSettings;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;

  private readonly allowPrivate: boolean;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {
    this.settings = config.alerts;
    this.allowPrivate = config.webhookAllowPrivate;
  }

  onApplicationBootstrap(): void {
    if (this.settings.evaluationIntervalMs <= 0) return;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Sends what is due now (at once after an evaluation created deliveries, else on the poll). */
  kick(): void {
    if (this.stopped || this.settings.evaluationIntervalMs <= 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((err) => {
        if (unavailableDependency(err)) this.logger.warn(`webhook delivery skipped: ${describeError(err)}`);
        else this.logger.error(`webhook delivery failed: ${(err as Error).message}`);
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass: claims up to a batch of due deliveries and attempts each once. Returns how many. */
  async deliverDue(now: Date = new Date()): Promise<number> {
    const leaseUntil = new Date(now.getTime() + this.settings.webhookTimeoutMs + 5000);
    const rows = await new WebhookDeliveryQueries(this.db).claimDue(now, leaseUntil, BATCH);
    await Promise.all(rows.map((d) => this.attempt(d, now)));
    return rows.length;
  }

  private async attempt(d: ClaimedDelivery, now: Date): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await this.post(d);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      // What the tenant's record says: refused, reset, unresolvable and timed out all read the
      // same, or the deliveries would map which internal ports answer. The log keeps the detail.
      error = e instanceof EgressRefused ? `refused by the platform's egress policy: ${e.message}` : NO_ANSWER;
      this.logger.warn(
        `webhook ${d.id} to ${d.url}: ${e.name === 'TimeoutError' ? `no answer within ${this.settings.webhookTimeoutMs} ms` : (e.code ?? e.message)}`,
      );
    }
    const outcome = deliveryOutcome(status, d.attempts, d.max_attempts, this.settings.webhookRetryBaseMs);
    const base = { lastStatusCode: status, lastError: error?.slice(0, 512) ?? null };
    const patch =
      outcome.kind === 'delivered'
        ? { ...base, status: 'delivered', deliveredAt: new Date(), nextAttemptAt: null }
        : outcome.kind === 'failed'
          ? { ...base, status: 'failed', nextAttemptAt: null }
          : { ...base, nextAttemptAt: new Date(Math.max(now.getTime(), Date.now()) + outcome.delayMs) };
    await new WebhookDeliveryQueries(this.db).recordAttempt(d.id, {
      status: 'status' in patch ? patch.status : null,
      deliveredAt: 'deliveredAt' in patch ? patch.deliveredAt : null,
      nextAttemptAt: patch.nextAttemptAt,
      lastStatusCode: patch.lastStatusCode,
      lastError: patch.lastError,
    });
    if (outcome.kind === 'failed') this.logger.warn(`webhook ${d.id} to ${d.url} failed after ${d.attempts} attempts: ${error}`);
  }

  /** One POST, connecting only to an address the egress policy allows; resolves with the status. */
  private post(d: ClaimedDelivery): Promise<number> {
    const url = new URL(d.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is never looked up: check it here (a name is checked by guardedLookup).
    const literal = isIP(host) ? egressProblem(host, this.allowPrivate) : null;
    if (literal) return Promise.reject(new EgressRefused(`${host} is ${literal}`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(this.allowPrivate) as never,
          timeout: this.settings.webhookTimeoutMs,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(d.body),
            'User-Agent': 'vpn-console-alerts/1',
            [SIGNATURE_HEADER]: signBody(this.secrets.open(d.secret_sealed), d.body),
            [DELIVERY_HEADER]: d.id,
            [EVENT_HEADER]: d.event,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), this.settings.webhookTimeoutMs);
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
      req.on('error', (err) => reject(err));
      req.on('close', () => clearTimeout(deadline));
      req.end(d.body);
    });
  }
}
