// What a transition says: the console message and the webhook body. Pure.
import { AlertEvent } from './alert-evaluation';
import { AlertRule, describeRule, ResourceType } from './alert-metrics';

export interface AlertFacts {
  id: string;
  tenantId: string;
  template: { id: string; name: string };
  rule: AlertRule;
  resource: { type: ResourceType; id: string; name: string };
  /** The value of the period that caused the transition. */
  value: number;
  firedAt: Date;
  resolvedAt: Date | null;
}

const RESOURCE_LABEL: Record<ResourceType, string> = { gateway: 'VPN gateway', tunnel: 'VPN tunnel' };

export function alertMessage(event: AlertEvent, a: AlertFacts): string {
  const what = `${RESOURCE_LABEL[a.resource.type]} ${a.resource.name} (${a.resource.id})`;
  const text =
    event === 'firing'
      ? `[firing] ${what}: ${describeRule(a.rule)} (value ${a.value})`
      : `[resolved] ${what}: ${describeRule(a.rule)} no longer holds (value ${a.value})`;
  return text.length > 512 ? `${text.slice(0, 509)}...` : text;
}

/**
 * The JSON a webhook receives. Built once per delivery and stored: every retry sends (and signs)
 * the same bytes, and `deliveryId` (also the X-VPN-Delivery header) lets a receiver drop duplicates.
 */
export function webhookBody(event: AlertEvent, deliveryId: string, a: AlertFacts, at: Date): string {
  return JSON.stringify({
    event,
    deliveryId,
    tenantId: a.tenantId,
    createdAt: at.toISOString(),
    template: a.template,
    alert: {
      id: a.id,
      state: event,
      ...a.rule,
      resource: a.resource,
      value: a.value,
      firedAt: a.firedAt.toISOString(),
      resolvedAt: a.resolvedAt ? a.resolvedAt.toISOString() : null,
    },
    message: alertMessage(event, a),
  });
}
