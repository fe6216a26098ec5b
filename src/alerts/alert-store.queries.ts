// The evaluator's writes. A transition is one transaction: the rule's state, the alert history
// row, the console notification and the webhook deliveries (an outbox the sender drains), so a
// crash never leaves an alert without its notifications or notifies twice.
import { DataSource, In } from 'typeorm';
import { ID_PREFIX, newId } from '../common/ids';
import { Evaluation } from './alert-evaluation';
import { AlertFacts, alertMessage, webhookBody } from './alert-messages';
import { AlertRule } from './alert-metrics';
import { Alert } from './alert.entity';
import { AlertState } from './alert-state.entity';
import { AlertTemplate } from './alert-template.entity';
import { Notification } from './notification.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { Observation } from './alert-sources.queries';

export interface Transition {
  period: number;
  now: Date;
  observation: Observation;
  template: AlertTemplate;
  rule: AlertRule;
  ruleKey: string;
  stored: AlertState | undefined;
  result: Evaluation;
  value: number | null;
  maxAttempts: number;
}

export const stateKey = (resourceId: string, templateId: string, ruleKey: string) => `${resourceId}|${templateId}|${ruleKey}`;

export class AlertStore {
  constructor(private readonly db: DataSource) {}

  async loadStates(): Promise<Map<string, AlertState>> {
    const rows = await this.db.getRepository(AlertState).find();
    return new Map(rows.map((s) => [stateKey(s.resourceId, s.templateId, s.ruleKey), s]));
  }

  async loadTemplates(ids: string[]): Promise<Map<string, AlertTemplate>> {
    if (!ids.length) return new Map();
    const rows = await this.db.getRepository(AlertTemplate).find({ where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((t) => [t.id, t]));
  }

  /**
   * Writes one rule's new state for `period`. Returns false when another evaluator already wrote
   * this period (the row's lastPeriod is not older): nothing is written then, nothing notified.
   */
  async apply(t: Transition): Promise<{ applied: boolean; deliveries: number }> {
    return this.db.transaction(async (m) => {
      const { result, observation: o, stored, now } = t;
      const event = result.event;
      const alertId = event === 'firing' ? newId(ID_PREFIX.alert) : event === 'resolved' ? null : (stored?.alertId ?? null);
      const fields = { status: result.next.status, breaches: result.next.breaches, lastValue: t.value, lastPeriod: String(t.period), alertId };
      if (stored) {
        const res = await m
          .createQueryBuilder()
          .update(AlertState)
          .set(fields)
          .where('resource_id = :r AND template_id = :tpl AND rule_key = :k AND last_period < :p', {
            r: o.resourceId,
            tpl: t.template.id,
            k: t.ruleKey,
            p: t.period,
          })
          .execute();
        if (!res.affected) return { applied: false, deliveries: 0 };
      } else {
        const res = await m
          .createQueryBuilder()
          .insert()
          .into(AlertState)
          .values({ resourceId: o.resourceId, templateId: t.template.id, ruleKey: t.ruleKey, tenantId: o.tenantId, resourceType: o.resourceType, ...fields })
          .orIgnore()
          .returning('resource_id')
          .execute();
        if (!(res.raw as unknown[]).length) return { applied: false, deliveries: 0 };
      }
      if (!event) return { applied: true, deliveries: 0 };

      const facts: AlertFacts = {
        id: '',
        tenantId: o.tenantId,
        template: { id: t.template.id, name: t.template.name },
        rule: t.rule,
        resource: { type: o.resourceType, id: o.resourceId, name: o.resourceName },
        value: t.value as number,
        firedAt: now,
        resolvedAt: null,
      };
      if (event === 'firing') {
        facts.id = alertId!;
        await m.insert(Alert, {
          id: facts.id,
          tenantId: o.tenantId,
          templateId: t.template.id,
          templateName: t.template.name,
          rule: t.rule,
          resourceType: o.resourceType,
          resourceId: o.resourceId,
          resourceName: o.resourceName,
          state: 'firing',
          resolution: null,
          value: facts.value,
          resolvedValue: null,
          firedAt: now,
          resolvedAt: null,
        });
      } else {
        const open = stored?.alertId ? await m.findOne(Alert, { where: { id: stored.alertId } }) : null;
        if (!open || open.state !== 'firing') return { applied: true, deliveries: 0 };
        await m.update(Alert, { id: open.id }, { state: 'resolved', resolution: 'recovered', resolvedValue: facts.value, resolvedAt: now });
        Object.assign(facts, { id: open.id, firedAt: open.firedAt, resolvedAt: now });
      }

      let deliveries = 0;
      for (const channel of t.template.channels) {
        if (channel.type === 'console') {
          await m.insert(Notification, {
            id: newId(ID_PREFIX.notification),
            tenantId: o.tenantId,
            alertId: facts.id,
            event,
            resourceType: o.resourceType,
            resourceId: o.resourceId,
            message: alertMessage(event, facts),
            read: false,
            readAt: null,
            createdAt: now,
          });
        } else {
          const id = newId(ID_PREFIX.webhookDelivery);
          await m.insert(WebhookDelivery, {
            id,
            tenantId: o.tenantId,
            alertId: facts.id,
            templateId: t.template.id,
            channelId: channel.id,
            event,
            url: channel.url,
            body: webhookBody(event, id, facts, now),
            secretSealed: channel.secretSealed,
            status: 'pending',
            attempts: 0,
            maxAttempts: t.maxAttempts,
            nextAttemptAt: now,
            lastStatusCode: null,
            lastError: null,
            createdAt: now,
            deliveredAt: null,
          });
          deliveries++;
        }
      }
      return { applied: true, deliveries };
    });
  }

  /** The rule, binding or resource is gone: drop the state; an open alert ends as `cleared`, silently. */
  async clear(s: AlertState, now: Date): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.delete(AlertState, { resourceId: s.resourceId, templateId: s.templateId, ruleKey: s.ruleKey });
      if (s.alertId) await m.update(Alert, { id: s.alertId, state: 'firing' }, { state: 'resolved', resolution: 'cleared', resolvedAt: now });
    });
  }
}
