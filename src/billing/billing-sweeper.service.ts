import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { WebhookSender } from '../alerts/webhook-sender.service';
import { DomainError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { JobDispatcher } from '../jobs/job-dispatcher';
import { RoutesService } from '../routes/routes.service';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { sendNotice } from './billing-notices.queries';
import { formatMoney, releaseAt, sweepAction } from './billing-rules';
import { expireGateway, lockGateway, releaseGateway, renewGateway } from './gateway-lifecycle.queries';
import { BillingQueries } from './billing.queries';
import { billingSettings } from './ledger.queries';
import { describeError, unavailableDependency } from '../common/dependency-errors';

export interface SweepReport {
  checked: number;
  notified: number;
  autoRenewed: number;
  autoRenewFailed: number;
  expired: number;
  released: number;
}

const BATCH = 200;
const OFF_RECHECK_MS = 30_000;

/**
 * Drives expiry, auto-renewal, notices and release. Every API replica runs the timer (interval
 * from the billing settings, 0 = off); a run is safe to repeat and to overlap with another
 * replica's: each gateway is handled in its own transaction under its row lock (SKIP LOCKED:
 * a gateway another sweeper holds is its business), the action is decided again on the locked
 * row, charges carry an idempotency key (`auto_renewal:<gateway>:<expiry>`) and notices a unique
 * (gateway, kind, expiry). A sweep run twice therefore charges and notifies once.
 */
@Injectable()
export class BillingSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BillingSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobDispatcher,
    private readonly routes: RoutesService,
    private readonly sender: WebhookSender,
  ) {}

  onApplicationBootstrap(): void {
    void this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Re-reads the interval (called after the operator changes the settings). */
  async schedule(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let intervalMs = OFF_RECHECK_MS;
    let enabled = false;
    try {
      const s = await billingSettings(this.db);
      enabled = s.sweepIntervalSeconds > 0;
      if (enabled) intervalMs = s.sweepIntervalSeconds * 1000;
    } catch (err) {
      this.logger.warn(`billing settings unreadable: ${describeError(err)}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = (enabled ? this.sweep() : Promise.resolve())
        .catch((err) =>
          unavailableDependency(err)
            ? this.logger.warn(`billing sweep skipped: ${describeError(err)}`)
            : this.logger.error(`billing sweep failed: ${(err as Error).stack ?? err}`),
        )
        .finally(() => {
          this.running = null;
          void this.schedule();
        });
    }, intervalMs);
    this.timer.unref();
  }

  async sweep(now: Date = new Date()): Promise<SweepReport> {
    const s = await billingSettings(this.db);
    const report: SweepReport = { checked: 0, notified: 0, autoRenewed: 0, autoRenewFailed: 0, expired: 0, released: 0 };
    const horizon = new Date(now.getTime() + Math.max(s.noticeLeadHours * 3_600_000, s.autoRenewLeadMinutes * 60_000));
    const retentionStart = new Date(now.getTime() - s.retentionHours * 3_600_000);
    let after = '';
    for (;;) {
      const due = await new BillingQueries(this.db).gatewaysDue(after, horizon, retentionStart, BATCH);
      for (const { id } of due) {
        report.checked++;
        await this.sweepOne(id, now, report).catch((err) => this.logger.warn(`billing sweep of ${id}: ${(err as Error).message}`));
      }
      if (due.length < BATCH) break;
      after = due[due.length - 1].id;
    }
    if (report.notified || report.expired || report.released || report.autoRenewed || report.autoRenewFailed) {
      this.logger.log(`billing sweep: ${JSON.stringify(report)}`);
      this.sender.kick();
    }
    return report;
  }

  private async sweepOne(id: string, now: Date, report: SweepReport): Promise<void> {
    const maxAttempts = this.config.alerts.webhookMaxAttempts;
    const after: (() => Promise<void>)[] = [];
    await this.db.transaction(async (m) => {
      const g = await lockGateway(m, id, { skipLocked: true });
      if (!g) return; // gone, or another sweeper holds it
      const s = await billingSettings(m);
      const action = sweepAction(g, s, now);
      const expiresAt = g.expiresAt!;
      const notice = async (kind: Parameters<typeof sendNotice>[2], message: string) => {
        if ((await sendNotice(m, g, kind, expiresAt, message, maxAttempts, now)).sent) report.notified++;
      };
      const who = `VPN gateway ${g.name} (${g.id})`;
      if (action === 'notify_expiring') {
        await notice(
          'expiring',
          `${who} expires at ${expiresAt.toISOString()}: renew it${g.autoRenew ? ' (auto-renewal is on: keep the balance sufficient)' : ''} to keep it running`,
        );
      } else if (action === 'auto_renew') {
        try {
          const order = await renewGateway(m, g, 'auto_renewal', 1, now, `auto_renewal:${g.id}:${expiresAt.toISOString()}`);
          if (order) {
            report.autoRenewed++;
            await notice('renewed', `${who} was renewed automatically until ${order.periodEnd.toISOString()} for ${formatMoney(order.amount, order.currency)}`);
          }
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          // No price or no money: nothing was written by the refused charge. Say so once per
          // period; expire when due.
          report.autoRenewFailed++;
          await notice('renew_failed', `${who}: automatic renewal failed: ${err.message}`);
          if (expiresAt.getTime() <= now.getTime()) await this.expire(m, g, now, s.retentionHours, notice, report, after);
        }
      } else if (action === 'expire') {
        await this.expire(m, g, now, s.retentionHours, notice, report, after);
      } else if (action === 'release') {
        const tunnels = await releaseGateway(m, g);
        report.released++;
        await notice(
          'released',
          `${who} was released at the end of its retention period${tunnels.length ? ` with its tunnels ${tunnels.join(', ')}` : ''}; its external IP is free`,
        );
        after.push(
          () => this.jobs.dispatch(g.hostId, 'gateway.sync', { gatewayId: g.id }),
          () => this.routes.changed(g.vpcId),
        );
      }
    });
    for (const fn of after) await fn().catch((err) => this.logger.warn(`after sweeping ${id}: ${(err as Error).message}`));
  }

  private async expire(
    m: EntityManager,
    g: VpnGateway,
    now: Date,
    retentionHours: number,
    notice: (kind: 'expired', message: string) => Promise<void>,
    report: SweepReport,
    after: (() => Promise<void>)[],
  ): Promise<void> {
    const until = releaseAt(now, retentionHours);
    await expireGateway(m, g, now, until);
    report.expired++;
    await notice(
      'expired',
      `VPN gateway ${g.name} (${g.id}) expired and was stopped: its tunnels are down. Renew it before ${until.toISOString()} or it is released`,
    );
    after.push(
      () => this.jobs.dispatch(g.hostId, 'gateway.sync', { gatewayId: g.id }),
      () => this.routes.changed(g.vpcId),
    );
  }
}
