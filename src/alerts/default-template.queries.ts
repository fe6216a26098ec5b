// Every tenant has one default template ("tunnel down for 3 periods", console channel), created
// lazily the first time the tenant lists templates or creates a template, gateway or tunnel. New
// gateways and tunnels are bound to it. Callable inside the caller's transaction.
import { DataSource, EntityManager } from 'typeorm';
import { ID_PREFIX, newId } from '../common/ids';
import { managerOf } from '../database/manager';
import { DEFAULT_RULE } from './alert-metrics';
import { AlertTemplate, StoredChannel } from './alert-template.entity';

export const DEFAULT_TEMPLATE_NAME = 'Default';
export const DEFAULT_TEMPLATE_DESCRIPTION = 'Created for every tenant: a tunnel down for 3 periods notifies in the console';

export async function defaultTemplateId(db: DataSource | EntityManager, tenantId: string): Promise<string> {
  const m = managerOf(db);
  const existing = await m.findOne(AlertTemplate, { where: { tenantId, isDefault: true }, select: { id: true } });
  if (existing) return existing.id;
  const id = newId(ID_PREFIX.alertTemplate);
  const channels: StoredChannel[] = [{ id: newId(ID_PREFIX.alertChannel), type: 'console' }];
  // Two first requests may race: the loser inserts nothing and reads the winner's row. Its conflict
  // can surface on either unique index (one default per tenant; names unique per tenant), so the
  // ON CONFLICT names none (a bench's concurrent first creates got a 500 from the name index).
  // The name gets the id appended only if the tenant already took "Default" for another template.
  await m.query(
    `INSERT INTO alert_templates (id, tenant_id, name, description, is_default, rules, channels)
     SELECT $1::varchar, $2::varchar,
            CASE WHEN EXISTS (SELECT 1 FROM alert_templates WHERE tenant_id = $2::varchar AND name = $3::varchar) THEN $3::varchar || ' ' || $1::varchar ELSE $3::varchar END,
            $4::varchar, true, $5::jsonb, $6::jsonb
     ON CONFLICT DO NOTHING`,
    [id, tenantId, DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE_DESCRIPTION, JSON.stringify([DEFAULT_RULE]), JSON.stringify(channels)],
  );
  const row = await m.findOneOrFail(AlertTemplate, { where: { tenantId, isDefault: true }, select: { id: true } });
  return row.id;
}
