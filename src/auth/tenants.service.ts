import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { Conflict, NotFound } from '../common/errors';
import { ID_PREFIX, newId, newSecretToken } from '../common/ids';
import { Page, ResolvedListQuery } from '../common/list-query';
import { ApiKey, Role } from './api-key.entity';
import { Tenant } from './tenant.entity';

export const DEMO_TENANT_NAME = 'demo';
/** Serialises bootstrap across API replicas starting together ("vpnboot" in ASCII). */
const BOOTSTRAP_LOCK_KEY = '33337666652041076';

@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);

  constructor(
    @InjectRepository(Tenant) private readonly tenants: Repository<Tenant>,
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** At start: the operator key from configuration, and the demo tenant's key if configured. */
  async bootstrap(): Promise<void> {
    // Several replicas starting at once each checked "no demo tenant yet" and inserted it: one won,
    // the others crashed on the unique name. One bootstrap at a time, in one transaction.
    await this.tenants.manager.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY}::bigint)`);
      await this.ensureKey(m, this.config.adminApiKey, 'admin', null, 'bootstrap admin');
      if (this.config.demoApiKey) {
        let demo = await m.findOne(Tenant, { where: { name: DEMO_TENANT_NAME } });
        if (!demo) demo = await m.save(m.create(Tenant, { id: newId(ID_PREFIX.tenant), name: DEMO_TENANT_NAME }));
        await this.ensureKey(m, this.config.demoApiKey, 'tenant', demo.id, 'demo');
      }
    });
  }

  private async ensureKey(m: EntityManager, key: string, role: Role, tenantId: string | null, name: string): Promise<void> {
    const keyHash = hashApiKey(key);
    const existing = await m.findOne(ApiKey, { where: { keyHash } });
    if (existing) return;
    await m.insert(ApiKey, { id: newId(ID_PREFIX.apiKey), role, tenantId, name, keyHash, keyPrefix: key.slice(0, 8), revokedAt: null });
    this.logger.log(`created ${role} API key "${name}" (${key.slice(0, 8)}…)`);
  }

  async create(name: string): Promise<Tenant> {
    if (await this.tenants.findOne({ where: { name } })) {
      throw new Conflict('name_taken', `a tenant named ${name} exists`, [{ field: 'name', rule: 'unique', value: name, message: `a tenant named ${name} exists` }]);
    }
    return this.tenants.save(this.tenants.create({ id: newId(ID_PREFIX.tenant), name }));
  }

  async list(q: ResolvedListQuery): Promise<Page<Tenant>> {
    const qb = this.tenants.createQueryBuilder('t');
    if (q.like) qb.where('(t.name ILIKE :like OR t.id ILIKE :like)', { like: q.like });
    const [items, total] = await qb.orderBy(q.sortColumn, q.order).offset(q.offset).limit(q.limit).getManyAndCount();
    return { items, total, offset: q.offset, limit: q.limit };
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.tenants.findOne({ where: { id } });
    if (!tenant) throw new NotFound('tenant', id);
    return tenant;
  }

  /** Returns the key once; only its hash is kept. */
  async issueKey(tenantId: string, name: string): Promise<{ key: ApiKey; secret: string }> {
    await this.get(tenantId);
    const secret = newSecretToken('vpnk');
    const key = this.keys.create({ id: newId(ID_PREFIX.apiKey), role: 'tenant', tenantId, name, keyHash: hashApiKey(secret), keyPrefix: secret.slice(0, 8), revokedAt: null });
    await this.keys.insert(key);
    return { key, secret };
  }

  listKeys(tenantId: string): Promise<ApiKey[]> {
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    const result = await this.keys.update({ id: keyId, tenantId, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!result.affected) throw new NotFound('API key', keyId);
  }
}
