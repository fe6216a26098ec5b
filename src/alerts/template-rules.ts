// Validation of an alert template's rules and notification channels. Pure: returns every broken
// rule at once (field, rule, value, message); the service seals secrets and stores the result.
import { Checked, Violation, violation } from '../common/violations';
import { urlHostProblem } from './webhook-egress';
import { AlertRule, COMPARATORS, Comparator, MAX_PERIODS, METRIC_NAMES, METRICS, Metric, MIN_PERIODS, ruleKey } from './alert-metrics';

export const MAX_RULES = 20;
export const MAX_CHANNELS = 10;
export const CHANNEL_TYPES = ['webhook', 'console'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const SECRET_MIN_LENGTH = 16;
export const SECRET_MAX_LENGTH = 256;
export const URL_MAX_LENGTH = 2048;

/** A channel as validated: a webhook's secret may be left out to keep the stored one (by id). */
export type ChannelInput = { id?: string; type: 'console' } | { id?: string; type: 'webhook'; url: string; secret?: string };

const RULE_FIELDS = ['metric', 'comparator', 'threshold', 'periods'];
const CHANNEL_FIELDS: Record<ChannelType, string[]> = { console: ['id', 'type'], webhook: ['id', 'type', 'url', 'secret'] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(prefix: string, value: Record<string, unknown>, allowed: string[]): Violation[] {
  return Object.keys(value)
    .filter((k) => !allowed.includes(k))
    .map((k) => violation(`${prefix}.${k}`, 'unknown_field', value[k], `${prefix}.${k} is not a field here (allowed: ${allowed.join(', ')})`));
}

function checkRule(input: unknown, f: string): Checked<AlertRule> {
  if (!isObject(input))
    return { ok: false, violations: [violation(f, 'object', input, `${f} must be an object with metric, comparator, threshold and periods`)] };
  const problems = unknownFields(f, input, RULE_FIELDS);
  const { metric, comparator, threshold, periods } = input;
  if (!METRIC_NAMES.includes(metric as Metric))
    problems.push(violation(`${f}.metric`, 'one_of', metric, `${f}.metric must be one of ${METRIC_NAMES.join(', ')}`));
  if (!COMPARATORS.includes(comparator as Comparator))
    problems.push(violation(`${f}.comparator`, 'one_of', comparator, `${f}.comparator must be one of ${COMPARATORS.join(', ')}`));
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    problems.push(violation(`${f}.threshold`, 'number', threshold, `${f}.threshold must be a number`));
  } else if (METRIC_NAMES.includes(metric as Metric)) {
    const { min, max } = METRICS[metric as Metric];
    if (threshold < min || (max !== null && threshold > max)) {
      const hint = metric === 'gateway_tx_utilization' ? ' (a fraction: 80 % is 0.8)' : '';
      problems.push(
        violation(`${f}.threshold`, 'range', threshold, `${f}.threshold for ${metric} must be from ${min}${max === null ? ' up' : ` to ${max}`}${hint}`),
      );
    }
  }
  if (typeof periods !== 'number' || !Number.isInteger(periods) || periods < MIN_PERIODS || periods > MAX_PERIODS) {
    problems.push(
      violation(`${f}.periods`, 'range', periods, `${f}.periods must be an integer from ${MIN_PERIODS} to ${MAX_PERIODS} (consecutive evaluation periods)`),
    );
  }
  if (problems.length) return { ok: false, violations: problems };
  return { ok: true, value: { metric: metric as Metric, comparator: comparator as Comparator, threshold: threshold as number, periods: periods as number } };
}

export function checkRules(input: unknown, field = 'rules'): Checked<AlertRule[]> {
  if (!Array.isArray(input) || input.length < 1 || input.length > MAX_RULES) {
    return { ok: false, violations: [violation(field, 'count_1_to_20', input, `${field} must list 1 to ${MAX_RULES} rules`)] };
  }
  const problems: Violation[] = [];
  const rules: AlertRule[] = [];
  const seen = new Set<string>();
  input.forEach((raw, i) => {
    const checked = checkRule(raw, `${field}.${i}`);
    if (!checked.ok) return problems.push(...checked.violations);
    const key = ruleKey(checked.value);
    if (seen.has(key)) problems.push(violation(`${field}.${i}`, 'unique', raw, `${field}.${i} repeats an earlier rule of this template`));
    seen.add(key);
    rules.push(checked.value);
  });
  return problems.length ? { ok: false, violations: problems } : { ok: true, value: rules };
}

function checkUrl(url: unknown, f: string, allowPrivate: boolean): Violation[] {
  if (typeof url !== 'string' || !url) return [violation(f, 'required', url ?? null, `${f} is required: an http:// or https:// URL`)];
  if (url.length > URL_MAX_LENGTH) return [violation(f, 'max_length', url.slice(0, 64), `${f} must be at most ${URL_MAX_LENGTH} characters`)];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [violation(f, 'url', url, `${f} must be an absolute http:// or https:// URL`)];
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return [violation(f, 'http_or_https', url, `${f} must use http or https (got ${parsed.protocol.replace(':', '')})`)];
  const refused = urlHostProblem(url, allowPrivate);
  if (refused) return [violation(f, 'public_address', url, `${f} points to ${refused}: webhooks go to receivers on the internet`)];
  return [];
}

function checkSecret(secret: unknown, f: string, keepable: boolean): Violation[] {
  if (secret === undefined || secret === null) {
    return keepable
      ? []
      : [violation(f, 'required', null, `${f} is required for a new webhook channel: ${SECRET_MIN_LENGTH} to ${SECRET_MAX_LENGTH} characters`)];
  }
  if (typeof secret !== 'string' || secret.length < SECRET_MIN_LENGTH || secret.length > SECRET_MAX_LENGTH || !/^[\x21-\x7e]+$/.test(secret)) {
    return [violation(f, 'secret_format', '<redacted>', `${f} must be ${SECRET_MIN_LENGTH} to ${SECRET_MAX_LENGTH} printable ASCII characters without spaces`)];
  }
  return [];
}

/**
 * Channels: 0..10; at most one console channel; a webhook needs a URL and a secret. `existing`
 * maps the ids of this template's stored channels to their type: a webhook naming one of them may
 * leave its secret out to keep it.
 */
export function checkChannels(
  input: unknown,
  existing: Map<string, ChannelType> = new Map(),
  field = 'channels',
  allowPrivate = false,
): Checked<ChannelInput[]> {
  if (!Array.isArray(input) || input.length > MAX_CHANNELS) {
    return { ok: false, violations: [violation(field, 'count_0_to_10', input, `${field} must list 0 to ${MAX_CHANNELS} channels`)] };
  }
  const problems: Violation[] = [];
  const channels: ChannelInput[] = [];
  const ids = new Set<string>();
  let consoles = 0;
  input.forEach((raw, i) => {
    const f = `${field}.${i}`;
    if (!isObject(raw)) return problems.push(violation(f, 'object', raw, `${f} must be an object with a type (${CHANNEL_TYPES.join(', ')})`));
    const type = raw.type as ChannelType;
    if (!CHANNEL_TYPES.includes(type)) return problems.push(violation(`${f}.type`, 'one_of', raw.type, `${f}.type must be one of ${CHANNEL_TYPES.join(', ')}`));
    const local = unknownFields(f, raw, CHANNEL_FIELDS[type]);
    const id = raw.id;
    if (id !== undefined) {
      if (typeof id !== 'string' || existing.get(id) !== type)
        local.push(violation(`${f}.id`, 'exists', id, `${f}.id must be the id of a stored ${type} channel of this template (leave it out for a new channel)`));
      else if (ids.has(id)) local.push(violation(`${f}.id`, 'unique', id, `${f}.id appears twice`));
      else ids.add(id);
    }
    if (type === 'console' && ++consoles > 1) local.push(violation(f, 'unique', raw, 'a template has at most one console channel'));
    if (type === 'webhook') {
      local.push(
        ...checkUrl(raw.url, `${f}.url`, allowPrivate),
        ...checkSecret(raw.secret, `${f}.secret`, typeof id === 'string' && existing.get(id) === 'webhook'),
      );
    }
    if (local.length) return problems.push(...local);
    channels.push(
      type === 'console'
        ? { ...(id !== undefined && { id: id as string }), type }
        : { ...(id !== undefined && { id: id as string }), type, url: raw.url as string, ...(raw.secret != null && { secret: raw.secret as string }) },
    );
  });
  return problems.length ? { ok: false, violations: problems } : { ok: true, value: channels };
}
