import fc from 'fast-check';
import { evaluateRule, eventsOver, INITIAL_STATE } from './alert-evaluation';
import { AlertRule, breaches, COMPARATORS, DEFAULT_RULE, describeRule, ruleKey } from './alert-metrics';

const down3: AlertRule = DEFAULT_RULE; // tunnel_health lt 1 for 3 periods

describe('comparators', () => {
  it.each([
    ['lt', 0, true],
    ['lt', 1, false],
    ['le', 1, true],
    ['le', 2, false],
    ['gt', 2, true],
    ['gt', 1, false],
    ['ge', 1, true],
    ['ge', 0, false],
    ['eq', 1, true],
    ['eq', 0, false],
    ['ne', 0, true],
    ['ne', 1, false],
  ] as const)('%s 1 with %d -> %p', (comparator, value, expected) => {
    expect(breaches(value, { comparator, threshold: 1 })).toBe(expected);
  });
});

describe('consecutive periods', () => {
  it('fires on the Nth consecutive breaching period, not before', () => {
    let s = INITIAL_STATE;
    const r1 = evaluateRule(s, 0, down3);
    expect(r1).toEqual({ next: { status: 'ok', breaches: 1 }, breaching: true, event: null });
    s = r1.next;
    const r2 = evaluateRule(s, 0, down3);
    expect(r2.event).toBeNull();
    const r3 = evaluateRule(r2.next, 0, down3);
    expect(r3).toEqual({ next: { status: 'firing', breaches: 3 }, breaching: true, event: 'firing' });
  });

  it('a breach shorter than N periods never fires, and a good period restarts the count', () => {
    expect(eventsOver(down3, [0, 0, 1, 0, 0, 1, 0, 1, 0, 0]).events).toEqual([]);
    expect(eventsOver(down3, [0, 0, 1]).state).toEqual(INITIAL_STATE);
  });

  it('with periods 1 the first breach fires', () => {
    expect(eventsOver({ ...down3, periods: 1 }, [1, 0]).events).toEqual(['firing']);
  });

  it('resolves on the first non-breaching period, once', () => {
    const { events, state } = eventsOver(down3, [0, 0, 0, 0, 0, 1, 1, 1]);
    expect(events).toEqual(['firing', 'resolved']);
    expect(state).toEqual(INITIAL_STATE);
  });

  it('periods without a value neither breach nor clear', () => {
    expect(eventsOver(down3, [0, null, 0, null, 0]).events).toEqual(['firing']);
    expect(eventsOver(down3, [0, 0, 0, null, null, 0]).events).toEqual(['firing']);
    const firing = eventsOver(down3, [0, 0, 0]).state;
    expect(evaluateRule(firing, null, down3)).toEqual({ next: firing, breaching: null, event: null });
    expect(evaluateRule(firing, Number.NaN, down3).event).toBeNull();
  });
});

describe('flapping: no alert storm', () => {
  it('a firing alert that keeps breaching notifies once', () => {
    expect(eventsOver(down3, Array(50).fill(0)).events).toEqual(['firing']);
  });

  it('a resource flapping around the threshold notifies once per transition', () => {
    // down 3, up 1, down 3, up 1: two incidents, each one firing and one resolved.
    expect(eventsOver(down3, [0, 0, 0, 1, 0, 0, 0, 1]).events).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    // Flapping faster than N periods never fires at all.
    expect(
      eventsOver(
        down3,
        Array.from({ length: 40 }, (_, i) => (i % 3 === 2 ? 1 : 0)),
      ).events,
    ).toEqual([]);
  });

  it('property: events alternate firing/resolved, start with firing, and each firing follows N breaches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(...COMPARATORS),
        fc.array(fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 })), { maxLength: 80 }),
        (periods, comparator, values) => {
          const rule: AlertRule = { metric: 'tunnel_bps_in', comparator, threshold: 1, periods };
          let state = INITIAL_STATE;
          let run = 0; // consecutive breaching values, gaps skipped
          let last: string | null = null;
          for (const v of values) {
            const r = evaluateRule(state, v, rule);
            if (v !== null) run = breaches(v, rule) ? run + 1 : 0;
            if (r.event) {
              expect(r.event).not.toBe(last);
              if (r.event === 'firing') expect(run).toBe(periods);
              if (r.event === 'resolved') expect(run).toBe(0);
              last = r.event;
            }
            if (last === null || last === 'resolved') expect(r.next.status).toBe('ok');
            state = r.next;
          }
          if (last !== null) expect(['firing', 'resolved']).toContain(last);
        },
      ),
    );
  });
});

describe('rule identity and text', () => {
  it('keys rules by content and describes them', () => {
    expect(ruleKey(down3)).toBe('tunnel_health:lt:1:3');
    expect(describeRule(down3)).toBe('tunnel_health < 1 for 3 consecutive periods');
    expect(describeRule({ metric: 'gateway_tx_utilization', comparator: 'ge', threshold: 0.8, periods: 1 })).toBe('gateway_tx_utilization >= 0.8 for 1 period');
  });
});
