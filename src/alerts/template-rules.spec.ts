import { checkChannels, checkRules } from './template-rules';

const rule = { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 };
const violationsOf = (r: { ok: boolean; violations?: unknown[] }) => (r.ok ? [] : r.violations);

describe('rules', () => {
  it('accepts the documented metrics and comparators', () => {
    const r = checkRules([rule, { metric: 'gateway_tx_utilization', comparator: 'ge', threshold: 0.8, periods: 60 }]);
    expect(r).toEqual({ ok: true, value: [rule, { metric: 'gateway_tx_utilization', comparator: 'ge', threshold: 0.8, periods: 60 }] });
  });

  it('reports every broken field with its rule and value', () => {
    const r = checkRules([{ metric: 'cpu', comparator: '<', threshold: 'x', periods: 0, extra: 1 }]);
    expect(violationsOf(r)).toEqual([
      expect.objectContaining({ field: 'rules.0.extra', rule: 'unknown_field' }),
      expect.objectContaining({ field: 'rules.0.metric', rule: 'one_of', value: 'cpu' }),
      expect.objectContaining({ field: 'rules.0.comparator', rule: 'one_of', value: '<' }),
      expect.objectContaining({ field: 'rules.0.threshold', rule: 'number', value: 'x' }),
      expect.objectContaining({ field: 'rules.0.periods', rule: 'range', value: 0 }),
    ]);
  });

  it.each([
    [{ ...rule, periods: 61 }, 'rules.0.periods', 'range'],
    [{ ...rule, periods: 2.5 }, 'rules.0.periods', 'range'],
    [{ ...rule, threshold: 2 }, 'rules.0.threshold', 'range'],
    [{ ...rule, metric: 'gateway_tx_utilization', threshold: 80 }, 'rules.0.threshold', 'range'],
    [{ ...rule, metric: 'tunnel_bps_in', threshold: -1 }, 'rules.0.threshold', 'range'],
    ['nope', 'rules.0', 'object'],
  ])('refuses %p', (input, field, ruleName) => {
    expect(violationsOf(checkRules([input]))).toEqual([expect.objectContaining({ field, rule: ruleName })]);
  });

  it('needs 1 to 20 distinct rules', () => {
    expect(violationsOf(checkRules([]))).toEqual([expect.objectContaining({ field: 'rules', rule: 'count_1_to_20' })]);
    expect(violationsOf(checkRules(Array(21).fill(rule)))).toEqual([expect.objectContaining({ field: 'rules' })]);
    expect(violationsOf(checkRules([rule, { ...rule }]))).toEqual([expect.objectContaining({ field: 'rules.1', rule: 'unique' })]);
  });
});

describe('channels', () => {
  const hook = { type: 'webhook', url: 'https://hooks.example.com/vpn', secret: 'a-long-enough-secret' };

  it('accepts a console channel and webhooks over http(s)', () => {
    expect(checkChannels([{ type: 'console' }, hook, { ...hook, url: 'http://127.0.0.1:9000/hook' }], new Map(), 'channels', true)).toEqual({
      ok: true,
      value: [{ type: 'console' }, hook, { ...hook, url: 'http://127.0.0.1:9000/hook' }],
    });
    expect(checkChannels([])).toEqual({ ok: true, value: [] });
  });

  it.each([
    [{ ...hook, url: 'ftp://example.com/x' }, 'channels.0.url', 'http_or_https'],
    [{ ...hook, url: 'not a url' }, 'channels.0.url', 'url'],
    [{ type: 'webhook', secret: hook.secret }, 'channels.0.url', 'required'],
    [{ type: 'webhook', url: hook.url }, 'channels.0.secret', 'required'],
    [{ ...hook, secret: 'short' }, 'channels.0.secret', 'secret_format'],
    [{ type: 'sms' }, 'channels.0.type', 'one_of'],
    [{ type: 'console', url: 'x' }, 'channels.0.url', 'unknown_field'],
    [{ ...hook, id: 'chn-unknown' }, 'channels.0.id', 'exists'],
  ])('refuses %p', (input, field, ruleName) => {
    expect(violationsOf(checkChannels([input]))).toEqual([expect.objectContaining({ field, rule: ruleName })]);
  });

  it('never echoes a secret in a violation', () => {
    const [v] = violationsOf(checkChannels([{ ...hook, secret: 'has a space in it!!' }])) as { value: unknown }[];
    expect(v.value).toBe('<redacted>');
  });

  it('a stored webhook named by id keeps its secret when it is left out', () => {
    const existing = new Map([
      ['chn-1', 'webhook' as const],
      ['chn-2', 'console' as const],
    ]);
    expect(checkChannels([{ id: 'chn-1', type: 'webhook', url: hook.url }], existing)).toEqual({
      ok: true,
      value: [{ id: 'chn-1', type: 'webhook', url: hook.url }],
    });
    expect(violationsOf(checkChannels([{ id: 'chn-2', type: 'webhook', url: hook.url }], existing))).toEqual([
      expect.objectContaining({ field: 'channels.0.id', rule: 'exists' }),
      expect.objectContaining({ field: 'channels.0.secret', rule: 'required' }),
    ]);
  });

  it('at most one console channel and ten channels', () => {
    expect(violationsOf(checkChannels([{ type: 'console' }, { type: 'console' }]))).toEqual([expect.objectContaining({ field: 'channels.1', rule: 'unique' })]);
    expect(violationsOf(checkChannels(Array(11).fill(hook)))).toEqual([expect.objectContaining({ field: 'channels', rule: 'count_0_to_10' })]);
  });
});
