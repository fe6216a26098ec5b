import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Page, ResolvedListQuery } from '../common/list-query';
import { GenericPlans } from '../database/generic-plans';
import { managerOf } from '../database/manager';
import { ApiKey } from './api-key.entity';
import { Tenant } from './tenant.entity';

/** Serialises bootstrap across API replicas starting together ("vpnboot" in ASCII). */
const BOOTSTRAP_LOCK_KEY = '33337666652041076';

/**
 * The unrevoked key with this hash: what a request's bearer token authenticates as. Every request
 * pays it, so it is plain SQL (TypeORM's findOne cost ~0.3 ms of CPU more per request), prepared
 * once per session of the generic-plan pool (a unique-index lookup whatever the hash: its plan does
 * not depend on the value, and PostgreSQL parses and plans it once per session instead of per request).
 */
export async function liveKeyWithHash(plans: GenericPlans, keyHash: string): Promise<Pick<ApiKey, 'id' | 'role' | 'tenantId'> | undefined> {
  const rows = await plans.query<Pick<ApiKey, 'id' | 'role' | 'tenantId'>>(
    'SELECT id, role, tenant_id AS "tenantId" FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [keyHash],
  );
  return rows[0];
}

/** What TenantsService reads and writes: tenants and their API keys. */
export class TenantQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** Holds the bootstrap's advisory lock until the transaction ends. */
  async lockBootstrap(): Promise<void> {
    await this.m.query(`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY}::bigint)`);
  }

  tenantNamed(name: string): Promise<Tenant | null> {
    return this.m.findOne(Tenant, { where: { name } });
  }

  tenant(id: string): Promise<Tenant | null> {
    return this.m.findOne(Tenant, { where: { id } });
  }

  saveTenant(row: Pick<Tenant, 'id' | 'name'>): Promise<Tenant> {
    return this.m.save(this.m.create(Tenant, row));
  }

  async list(q: ResolvedListQuery): Promise<Page<Tenant>> {
    const qb = this.m.getRepository(Tenant).createQueryBuilder('t');
    if (q.like) qb.where('(t.name ILIKE :like OR t.id ILIKE :like)', { like: q.like });
    const [items, total] = await qb.orderBy(q.sortColumn, q.order).offset(q.offset).limit(q.limit).getManyAndCount();
    return { items, total, offset: q.offset, limit: q.limit };
  }

  keyNamed(id: string): Promise<Pick<ApiKey, 'id' | 'name'> | null> {
    return this.m.findOne(ApiKey, { where: { id }, select: { id: true, name: true } });
  }

  keyWithHash(keyHash: string): Promise<ApiKey | null> {
    return this.m.findOne(ApiKey, { where: { keyHash } });
  }

  /** Inserts the key and returns it as created (the secret itself is never stored). */
  async insertKey(row: Pick<ApiKey, 'id' | 'role' | 'tenantId' | 'name' | 'keyHash' | 'keyPrefix' | 'revokedAt'>): Promise<ApiKey> {
    const key = this.m.create(ApiKey, row);
    await this.m.insert(ApiKey, key);
    return key;
  }

  keys(tenantId: string): Promise<ApiKey[]> {
    return this.m.find(ApiKey, { where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** Revokes a tenant's live key; false when there is no such live key. */
  async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
    const result = await this.m.update(ApiKey, { id: keyId, tenantId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return !!result.affected;
  }
}
