// Text the API writes itself, in English, into stored rows (the default alert template every
// tenant gets): shown in the page's language. A template the tenant renamed is shown as written.
import type { TFunction } from 'i18next';
import { fmtTime } from './format';

const DEFAULT_TEMPLATE_NAME = 'Default'; // src/alerts/default-template.queries.ts
const DEFAULT_TEMPLATE_DESCRIPTION = 'Created for every tenant: a tunnel down for 3 periods notifies in the console';

export function templateName(name: string, t: TFunction): string {
  return name === DEFAULT_TEMPLATE_NAME ? t('alert.defaultName') : name;
}

export function templateDescription(description: string | null | undefined, t: TFunction): string {
  return description === DEFAULT_TEMPLATE_DESCRIPTION ? t('alert.defaultDescription') : (description ?? '');
}

// The gateway state reasons a tenant can read (src/vpn/tenant-reasons.ts: the API writes them in
// English; anything else reaches the tenant as the platform-failed sentence).
const GATEWAY_REASONS: [RegExp, string][] = [
  [/^waiting for a gateway host$/, 'gateway.reasons.waitingHost'],
  [/^renewed: starting again$/, 'gateway.reasons.renewed'],
  [/^expired at (\S+): renew before (\S+) or it is released$/, 'gateway.reasons.expired'],
  [/^the platform could not start this gateway; the operator has been alerted/, 'gateway.reasons.platformFailed'],
];

/** A gateway's state reason in the page's language (an unknown one as written). */
export function gatewayReason(reason: string | null | undefined, t: TFunction): string | null {
  if (!reason) return null;
  for (const [pattern, key] of GATEWAY_REASONS) {
    const m = pattern.exec(reason);
    if (m) return t(key, { expiredAt: fmtTime(m[1]), releaseAt: fmtTime(m[2]) });
  }
  return reason;
}

/** A remote-configuration vendor's name (GET /remote-config/vendors) in the page's language: product names stay. */
export function vendorName(id: string, name: string, t: TFunction): string {
  return t(`vendors.${id}`, { defaultValue: name });
}
