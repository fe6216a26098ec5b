import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { Page, ResolvedListQuery } from '../common/list-query';
import { newId } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AuditEvent } from './audit-event.entity';
import { AuditFilters, AuditQueries } from './audit.queries';

const RETENTION_SWEEP_MS = 3_600_000;

@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Every replica sweeps; the DELETE is idempotent.
    this.timer = setInterval(
      () => void this.sweep().catch((err) => this.logger.warn(`audit retention sweep failed: ${(err as Error).message}`)),
      RETENTION_SWEEP_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records one call. An audit write that fails is logged, never turned into the caller's error. */
  async record(e: Omit<AuditEvent, 'id' | 'at'>): Promise<void> {
    try {
      await new AuditQueries(this.db).insert({ id: newId('aud', 12), ...e });
    } catch (err) {
      this.logger.error(`audit event not written (${e.method} ${e.route} by ${e.keyId}): ${(err as Error).message}`);
    }
  }

  /** Deletes events older than the retention period (AUDIT_RETENTION_DAYS). */
  async sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.auditRetentionDays * 86_400_000);
    return new AuditQueries(this.db).deleteBefore(before);
  }

  list(p: Principal, q: ResolvedListQuery, f: AuditFilters): Promise<Page<AuditEvent>> {
    return new AuditQueries(this.db).list(this.scope(p, f), q, f);
  }

  exportRows(p: Principal, q: ResolvedListQuery, f: AuditFilters): AsyncIterable<AuditEvent> {
    return new AuditQueries(this.db).exportRows(this.scope(p, f), q, f);
  }

  /** Tenants see their own events only; operators all (null), or one tenant's with tenantId. */
  private scope(p: Principal, f: AuditFilters): { tenantId: string | null | undefined } | null {
    const tenantId = p.role === 'admin' ? f.tenantId : p.tenantId;
    return p.role !== 'admin' || tenantId ? { tenantId } : null;
  }
}
