// One evaluation period of one rule on one resource: previous state + new value -> new state and
// whether to notify. Pure: the evaluator service stores what this decides.
//
//   ok, breaching N consecutive periods  -> firing   (notify once)
//   firing, still breaching              -> firing   (no notification: no storm)
//   firing, first non-breaching period   -> ok       (notify "resolved" once)
//   ok, breaching fewer than N periods   -> ok       (never notifies)
//   no value this period                 -> unchanged (a gap neither breaches nor clears)
import { AlertRule, breaches } from './alert-metrics';

export type AlertStatus = 'ok' | 'firing';
export type AlertEvent = 'firing' | 'resolved';

export interface RuleState {
  status: AlertStatus;
  /** Consecutive breaching periods while ok (capped at the rule's periods once firing). */
  breaches: number;
}

export const INITIAL_STATE: RuleState = { status: 'ok', breaches: 0 };

export interface Evaluation {
  next: RuleState;
  /** null when there was no value to judge. */
  breaching: boolean | null;
  /** The transition to notify, at most one per period. */
  event: AlertEvent | null;
}

export function evaluateRule(prev: RuleState, value: number | null, rule: AlertRule): Evaluation {
  if (value === null || !Number.isFinite(value)) return { next: prev, breaching: null, event: null };
  const breaching = breaches(value, rule);
  if (prev.status === 'firing') {
    if (breaching) return { next: prev, breaching, event: null };
    return { next: { status: 'ok', breaches: 0 }, breaching, event: 'resolved' };
  }
  if (!breaching) return { next: { status: 'ok', breaches: 0 }, breaching, event: null };
  const count = Math.min(prev.breaches + 1, rule.periods);
  if (count >= rule.periods) return { next: { status: 'firing', breaches: rule.periods }, breaching, event: 'firing' };
  return { next: { status: 'ok', breaches: count }, breaching, event: null };
}

export function sameState(a: RuleState, b: RuleState): boolean {
  return a.status === b.status && a.breaches === b.breaches;
}

/** Runs a series of periods from the initial state: the events in order (for tests and docs). */
export function eventsOver(rule: AlertRule, values: (number | null)[], start: RuleState = INITIAL_STATE): { events: AlertEvent[]; state: RuleState } {
  let state = start;
  const events: AlertEvent[] = [];
  for (const v of values) {
    const r = evaluateRule(state, v, rule);
    if (r.event) events.push(r.event);
    state = r.next;
  }
  return { events, state };
}
