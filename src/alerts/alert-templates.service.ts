import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DataSource } from 'typeorm';
import { Conflict, NotFound, ValidationFailed } from '../common/errors';
import { ID_PREFIX, newId } from '../common/ids';
import { Page, ResolvedListQuery } from '../common/list-query';
import { SECRET_BOX, SecretBox } from '../common/secret-box';
import { Violation, violation } from '../common/violations';
import { AlertTemplate, StoredChannel } from './alert-template.entity';
import { AlertTemplateDto, CreateAlertTemplateDto, UpdateAlertTemplateDto } from './alert-template.dto';
import { AlertTemplateQueries, isUniqueViolation } from './alerts.queries';
import { defaultTemplateId } from './default-template.queries';
import { ChannelInput, ChannelType, checkChannels, checkRules } from './template-rules';

/** The API's view: webhook secrets are never shown, only that one is set. */
export function templateView(t: AlertTemplate): AlertTemplateDto {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    isDefault: t.isDefault,
    rules: t.rules,
    channels: t.channels.map((c) => (c.type === 'webhook' ? { id: c.id, type: c.type, url: c.url, secretSet: true } : { id: c.id, type: c.type })),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const nameTaken = (name: string) =>
  new Conflict('name_taken', `an alert template named ${name} exists`, [
    violation('name', 'unique', name, `an alert template named ${name} exists: choose another name`),
  ]);

@Injectable()
export class AlertTemplatesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(tenantId: string, q: ResolvedListQuery): Promise<Page<AlertTemplate>> {
    await defaultTemplateId(this.db, tenantId);
    return new AlertTemplateQueries(this.db).list(tenantId, q);
  }

  async get(tenantId: string, id: string): Promise<AlertTemplate> {
    const t = await new AlertTemplateQueries(this.db).find(tenantId, id);
    if (!t) throw new NotFound('alert template', id);
    return t;
  }

  async create(tenantId: string, dto: CreateAlertTemplateDto): Promise<AlertTemplate> {
    const rules = checkRules(dto.rules);
    const channels = checkChannels(dto.channels ?? [], new Map(), 'channels', this.config.webhookAllowPrivate);
    const problems = [...(rules.ok ? [] : rules.violations), ...(channels.ok ? [] : channels.violations)];
    if (problems.length || !rules.ok || !channels.ok) throw new ValidationFailed(problems);
    const id = newId(ID_PREFIX.alertTemplate);
    await this.db
      .transaction(async (m) => {
        const tx = new AlertTemplateQueries(m);
        // The default exists before the tenant's first own template, so it can always take its name.
        await defaultTemplateId(m, tenantId);
        if (await tx.nameTaken(tenantId, dto.name)) throw nameTaken(dto.name);
        if (dto.isDefault) await tx.clearDefault(tenantId);
        await tx.insert({
          id,
          tenantId,
          name: dto.name,
          description: dto.description ?? '',
          isDefault: dto.isDefault === true,
          rules: rules.value,
          channels: this.store(channels.value, []),
        });
      })
      .catch((err) => {
        throw isUniqueViolation(err) ? nameTaken(dto.name) : err;
      });
    return this.get(tenantId, id);
  }

  async update(tenantId: string, id: string, dto: UpdateAlertTemplateDto): Promise<AlertTemplate> {
    await this.db
      .transaction(async (m) => {
        const tx = new AlertTemplateQueries(m);
        const t = await tx.lock(tenantId, id, 'pessimistic_write');
        if (!t) throw new NotFound('alert template', id);
        const existing = new Map<string, ChannelType>(t.channels.map((c) => [c.id, c.type]));
        const rules = dto.rules === undefined ? null : checkRules(dto.rules);
        const channels = dto.channels === undefined ? null : checkChannels(dto.channels, existing, 'channels', this.config.webhookAllowPrivate);
        const problems: Violation[] = [...(rules && !rules.ok ? rules.violations : []), ...(channels && !channels.ok ? channels.violations : [])];
        if (dto.isDefault === false && t.isDefault) {
          problems.push(violation('isDefault', 'default_required', false, 'a tenant always has a default template: make another template the default instead'));
        }
        if (problems.length) throw new ValidationFailed(problems);
        if (dto.name !== undefined && dto.name !== t.name && (await tx.nameTaken(tenantId, dto.name))) throw nameTaken(dto.name);
        if (dto.isDefault && !t.isDefault) await tx.clearDefault(tenantId);
        await tx.update(id, {
          ...(dto.name !== undefined && { name: dto.name }),
          ...(dto.description !== undefined && { description: dto.description }),
          ...(dto.isDefault && { isDefault: true }),
          ...(rules?.ok && { rules: rules.value }),
          ...(channels?.ok && { channels: this.store(channels.value, t.channels) }),
          updatedAt: new Date(),
        });
      })
      .catch((err) => {
        throw isUniqueViolation(err) ? nameTaken(dto.name ?? '') : err;
      });
    return this.get(tenantId, id);
  }

  /** Refused for the default template and for a template bound to gateways or tunnels (409 names them). */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      const tx = new AlertTemplateQueries(m);
      const t = await tx.lock(tenantId, id, 'pessimistic_write');
      if (!t) throw new NotFound('alert template', id);
      if (t.isDefault) {
        throw new Conflict('default_template', `alert template ${id} is the tenant's default and cannot be deleted`, [
          violation('id', 'not_default', id, `alert template ${id} is the default template: make another template the default first`),
        ]);
      }
      const { gateways, tunnels } = await tx.boundTo(tenantId, id);
      if (gateways.length || tunnels.length) {
        const users = [...gateways.map((g) => `VPN gateway ${g.id} (${g.name})`), ...tunnels.map((x) => `VPN tunnel ${x.id} (${x.name})`)];
        const message = `alert template ${id} is in use by ${users.join(', ')}: bind them to another template first`;
        throw new Conflict('template_in_use', message, [violation('id', 'not_in_use', id, message)]);
      }
      await tx.delete(id);
    });
  }

  /**
   * Binds a gateway or tunnel of the tenant to a template of the tenant (null unbinds). The template
   * row is share-locked, so a concurrent delete either sees the binding or makes this a 400.
   */
  async bind(tenantId: string, kind: 'gateway' | 'tunnel', resourceId: string, templateId: string | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const tx = new AlertTemplateQueries(m);
      if (templateId !== null && !(await tx.lock(tenantId, templateId, 'pessimistic_read'))) {
        throw new ValidationFailed([violation('alertTemplateId', 'exists', templateId, `alert template ${templateId} does not exist`)]);
      }
      if (!(await tx.bind(tenantId, kind, resourceId, templateId))) throw new NotFound(kind === 'gateway' ? 'VPN gateway' : 'VPN tunnel', resourceId);
    });
  }

  /** Seals new secrets; a webhook named by the id of a stored one keeps its secret unless given a new one. */
  private store(channels: ChannelInput[], previous: StoredChannel[]): StoredChannel[] {
    return channels.map((c) => {
      const id = c.id ?? newId(ID_PREFIX.alertChannel);
      if (c.type === 'console') return { id, type: 'console' };
      const old = previous.find((p) => p.id === c.id && p.type === 'webhook') as Extract<StoredChannel, { type: 'webhook' }> | undefined;
      return { id, type: 'webhook', url: c.url, secretSealed: c.secret !== undefined ? this.secrets.seal(c.secret) : old!.secretSealed };
    });
  }
}
