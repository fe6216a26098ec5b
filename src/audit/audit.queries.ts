import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { pageQuery } from '../common/list.queries';
import { Page, ResolvedListQuery } from '../common/list-query';
import { parseIsoDateTime } from '../common/validators';
import { managerOf } from '../database/manager';
import { keysetRows } from '../exports/keyset.queries';
import { AuditEvent } from './audit-event.entity';
import { AuditListQueryDto } from './audit.dto';

export const AUDIT_SORT = { at: 'a.at' };
const AUDIT_SEARCH = ['a.route', 'a.resource_id', 'a.key_id', 'a.client_address'];

export type AuditFilters = Omit<AuditListQueryDto, 'offset' | 'limit' | 'sort' | 'order' | 'q'>;
type Scope = { tenantId: string | null | undefined } | null;

/** What AuditService reads and writes in `audit_events`. */
export class AuditQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  async insert(e: Omit<AuditEvent, 'at'>): Promise<void> {
    await this.m.getRepository(AuditEvent).insert(e);
  }

  /** Deletes the events before `before`; returns how many. */
  async deleteBefore(before: Date): Promise<number> {
    const res = await this.m.createQueryBuilder().delete().from(AuditEvent).where('at < :before', { before }).execute();
    return res.affected ?? 0;
  }

  list(scope: Scope, q: ResolvedListQuery, f: AuditFilters): Promise<Page<AuditEvent>> {
    return pageQuery(this.query(scope, f), q, AUDIT_SEARCH);
  }

  exportRows(scope: Scope, q: ResolvedListQuery, f: AuditFilters): AsyncIterable<AuditEvent> {
    return keysetRows(() => this.query(scope, f), q, AUDIT_SEARCH);
  }

  /** The events of `scope`'s tenant (every tenant's when scope is null), filtered. */
  private query(scope: Scope, f: AuditFilters): SelectQueryBuilder<AuditEvent> {
    const qb = this.m.getRepository(AuditEvent).createQueryBuilder('a');
    if (scope) qb.andWhere('a.tenant_id = :tenantId', { tenantId: scope.tenantId });
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
