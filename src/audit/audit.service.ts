import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { Principal } from '../auth/principal';
import { pageQuery } from '../common/list';
import { Page, ResolvedListQuery } from '../common/list-query';
import { parseIsoDateTime } from '../common/validators';
import { newId } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/config';
import { keysetRows } from '../exports/keyset';
import { AuditEvent } from './audit-event.entity';
import { AuditListQueryDto } from './audit.dto';

export const AUDIT_SORT = { at: 'a.at' };
const AUDIT_SEARCH = ['a.route', 'a.resource_id', 'a.key_id', 'a.client_address'];
const RETENTION_SWEEP_MS = 3_600_000;

type Filters = Omit<AuditListQueryDto, 'offset' | 'limit' | 'sort' | 'order' | 'q'>;

@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private timer: NodeJS.Timeout | null = null;

  constructor(@InjectDataSource() private readonly db: DataSource, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    // Every replica sweeps; the DELETE is idempotent.
    this.timer = setInterval(() => void this.sweep().catch((err) => this.logger.warn(`audit retention sweep failed: ${(err as Error).message}`)), RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records one call. An audit write that fails is logged, never turned into the caller's error. */
  async record(e: Omit<AuditEvent, 'id' | 'at'>): Promise<void> {
    try {
      await this.db.getRepository(AuditEvent).insert({ id: newId('aud', 12), ...e });
    } catch (err) {
      this.logger.error(`audit event not written (${e.method} ${e.route} by ${e.keyId}): ${(err as Error).message}`);
    }
  }

  /** Deletes events older than the retention period (AUDIT_RETENTION_DAYS). */
  async sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.auditRetentionDays * 86_400_000);
    const res = await this.db.createQueryBuilder().delete().from(AuditEvent).where('at < :before', { before }).execute();
    return res.affected ?? 0;
  }

  list(p: Principal, q: ResolvedListQuery, f: Filters): Promise<Page<AuditEvent>> {
    return pageQuery(this.query(p, f), q, AUDIT_SEARCH);
  }

  exportRows(p: Principal, q: ResolvedListQuery, f: Filters): AsyncIterable<AuditEvent> {
    return keysetRows(() => this.query(p, f), q, AUDIT_SEARCH);
  }

  /** Tenants see their own events only; operators all, or one tenant's with tenantId. */
  private query(p: Principal, f: Filters): SelectQueryBuilder<AuditEvent> {
    const qb = this.db.getRepository(AuditEvent).createQueryBuilder('a');
    const tenantId = p.role === 'admin' ? f.tenantId : p.tenantId;
    if (p.role !== 'admin' || tenantId) qb.andWhere('a.tenant_id = :tenantId', { tenantId });
    if (f.keyId) qb.andWhere('a.key_id = :keyId', { keyId: f.keyId });
    if (f.resource) qb.andWhere('a.resource = :resource', { resource: f.resource });
    if (f.resourceId) qb.andWhere('(a.resource_id = :rid OR a.resource_ids ? :rid)', { rid: f.resourceId });
    if (f.method) qb.andWhere('a.method = :method', { method: f.method });
    if (f.result) qb.andWhere('a.result = :result', { result: f.result });
    if (f.from) qb.andWhere('a.at >= :from', { from: parseIsoDateTime(f.from) });
    if (f.to) qb.andWhere('a.at < :to', { to: parseIsoDateTime(f.to) });
    return qb;
  }
}
