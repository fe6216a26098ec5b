import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig, hashApiKey } from '../config/config';
import { Conflict, NotFound } from '../common/errors';
import { ID_PREFIX, newId, newSecretToken } from '../common/ids';
import { Page, ResolvedListQuery } from '../common/list-query';
import { ApiKey, Role } from './api-key.entity';
import { Tenant } from './tenant.entity';
import { TenantQueries } from './tenants.queries';

export const DEMO_TENANT_NAME = 'demo';

@Injectable()
export class TenantsService {
  private readonly logger = new Logger(TenantsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** At start: the operator key from configuration, and the demo tenant's key if configured. */
  async bootstrap(): Promise<void> {
    // Several replicas starting at once each checked "no demo tenant yet" and inserted it: one won,
    // the others crashed on the unique name. One bootstrap at a time, in one transaction.
    await this.db.transaction(async (m) => {
      const tx = new TenantQueries(m);
      await tx.lockBootstrap();
      await this.ensureKey(tx, this.config.adminApiKey, 'admin', null, 'bootstrap admin');
      if (this.config.demoApiKey) {
        let demo = await tx.tenantNamed(DEMO_TENANT_NAME);
        if (!demo) demo = await tx.saveTenant({ id: newId(ID_PREFIX.tenant), name: DEMO_TENANT_NAME });
        await this.ensureKey(tx, this.config.demoApiKey, 'tenant', demo.id, 'demo');
      }
    });
  }

  private async ensureKey(tx: TenantQueries, key: string, role: Role, tenantId: string | null, name: string): Promise<void> {
    const keyHash = hashApiKey(key);
    const existing = await tx.keyWithHash(keyHash);
    if (existing) return;
    await tx.insertKey({ id: newId(ID_PREFIX.apiKey), role, tenantId, name, keyHash, keyPrefix: key.slice(0, 8), revokedAt: null });
    this.logger.log(`created ${role} API key "${name}" (${key.slice(0, 8)}…)`);
  }

  async create(name: string): Promise<Tenant> {
    if (await new TenantQueries(this.db).tenantNamed(name)) {
      throw new Conflict('name_taken', `a tenant named ${name} exists`, [
        { field: 'name', rule: 'unique', value: name, message: `a tenant named ${name} exists` },
      ]);
    }
    return new TenantQueries(this.db).saveTenant({ id: newId(ID_PREFIX.tenant), name });
  }

  list(q: ResolvedListQuery): Promise<Page<Tenant>> {
    return new TenantQueries(this.db).list(q);
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await new TenantQueries(this.db).tenant(id);
    if (!tenant) throw new NotFound('tenant', id);
    return tenant;
  }

  /** Returns the key once; only its hash is kept. */
  async issueKey(tenantId: string, name: string): Promise<{ key: ApiKey; secret: string }> {
    await this.get(tenantId);
    const secret = newSecretToken('vpnk');
    const key = await new TenantQueries(this.db).insertKey({
      id: newId(ID_PREFIX.apiKey),
      role: 'tenant',
      tenantId,
      name,
      keyHash: hashApiKey(secret),
      keyPrefix: secret.slice(0, 8),
      revokedAt: null,
    });
    return { key, secret };
  }

  listKeys(tenantId: string): Promise<ApiKey[]> {
    return new TenantQueries(this.db).keys(tenantId);
  }

  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    if (!(await new TenantQueries(this.db).revokeKey(tenantId, keyId))) throw new NotFound('API key', keyId);
  }
}
