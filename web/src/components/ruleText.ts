import type { Schemas } from '../api/client';

type Rule = Schemas['AlertRuleDto'];
const SYMBOL: Record<Rule['comparator'], string> = { lt: '<', le: '≤', gt: '>', ge: '≥', eq: '=', ne: '≠' };

/** An alert rule in the page's language: "tunnel health < 1 for 3 periods". */
export function ruleText(r: Rule, t: (k: string, o?: Record<string, unknown>) => string): string {
  return t('alert.ruleText', { metric: t(`alert.metrics.${r.metric}`), op: SYMBOL[r.comparator], threshold: r.threshold, periods: r.periods });
}
