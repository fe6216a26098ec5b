// Text the API writes itself, in English, into stored rows (the default alert template every
// tenant gets): shown in the page's language. A template the tenant renamed is shown as written.
import type { TFunction } from 'i18next';

const DEFAULT_TEMPLATE_NAME = 'Default'; // src/alerts/default-template.ts
const DEFAULT_TEMPLATE_DESCRIPTION = 'Created for every tenant: a tunnel down for 3 periods notifies in the console';

export function templateName(name: string, t: TFunction): string {
  return name === DEFAULT_TEMPLATE_NAME ? t('alert.defaultName') : name;
}

export function templateDescription(description: string | null | undefined, t: TFunction): string {
  return description === DEFAULT_TEMPLATE_DESCRIPTION ? t('alert.defaultDescription') : (description ?? '');
}
