import {
  checkCurrency,
  checkMinor,
  checkRenewalPeriod,
  formatMoney,
  orderAmount,
  renewalPeriod,
  sweepAction,
  SweepGateway,
  unusedValue,
} from './billing-rules';

const at = (iso: string) => new Date(iso);
const settings = { retentionHours: 168, noticeLeadHours: 24, autoRenewLeadMinutes: 10 };
const gw = (over: Partial<SweepGateway> = {}): SweepGateway => ({
  resourceState: 'running',
  autoRenew: false,
  expiresAt: at('2026-01-10T12:00:00Z'),
  expiredAt: null,
  ...over,
});

describe('money', () => {
  it('formats minor units with two decimals (zero for JPY)', () => {
    expect(formatMoney(123450, 'CNY')).toBe('1234.50 CNY');
    expect(formatMoney(5, 'USD')).toBe('0.05 USD');
    expect(formatMoney(-250, 'CNY')).toBe('-2.50 CNY');
    expect(formatMoney(1200, 'JPY')).toBe('1200 JPY');
  });
  it('multiplies exactly and refuses amounts beyond exact integers', () => {
    expect(orderAmount(20000, 11)).toBe(220000);
    expect(() => orderAmount(Number.MAX_SAFE_INTEGER, 2)).toThrow(/exact integer/);
  });
  it('accepts ISO currency codes only', () => {
    expect(checkCurrency('CNY')).toEqual([]);
    expect(checkCurrency('cny')[0]).toMatchObject({ field: 'currency', rule: 'iso_4217' });
    expect(checkCurrency('YUAN')[0].rule).toBe('iso_4217');
  });
  it('accepts integers in range only, never floats', () => {
    expect(checkMinor(100, 'amount', 1, 1000)).toEqual([]);
    expect(checkMinor(1.5, 'amount', 1, 1000)[0]).toMatchObject({ field: 'amount', rule: 'minor_units', value: 1.5 });
    expect(checkMinor(0, 'amount', 1, 1000)).toHaveLength(1);
    expect(checkMinor('100', 'amount', 1, 1000)).toHaveLength(1);
  });
});

describe('renewal', () => {
  it.each([
    ['hourly', 1, true],
    ['hourly', 24, true],
    ['hourly', 25, false],
    ['hourly', 0, false],
    ['monthly', 1, true],
    ['monthly', 11, true],
    ['monthly', 12, false],
    ['yearly', 1, true],
    ['yearly', 5, true],
    ['yearly', 6, false],
    ['yearly', 2.5, false],
  ] as const)('%s %d valid=%s', (chargeType, period, ok) => {
    const v = checkRenewalPeriod(chargeType, period);
    expect(v.length === 0).toBe(ok);
    if (!ok) expect(v[0]).toMatchObject({ field: 'period', rule: 'period_range' });
  });
  it('requires a period', () => {
    expect(checkRenewalPeriod('monthly', undefined)[0]).toMatchObject({ field: 'period', rule: 'period_range' });
  });
  it('extends from the current expiry while it is in the future', () => {
    const r = renewalPeriod(at('2026-03-31T00:00:00Z'), at('2026-03-01T00:00:00Z'), 'monthly', 1);
    expect(r).toEqual({ start: at('2026-03-31T00:00:00Z'), end: at('2026-04-30T00:00:00Z') });
  });
  it('starts now for an expired gateway (its stopped time is not charged)', () => {
    const r = renewalPeriod(at('2026-03-01T00:00:00Z'), at('2026-03-05T10:00:00Z'), 'hourly', 3);
    expect(r).toEqual({ start: at('2026-03-05T10:00:00Z'), end: at('2026-03-05T13:00:00Z') });
  });
});

describe('sweepAction', () => {
  it('does nothing far from expiry', () => {
    expect(sweepAction(gw(), settings, at('2026-01-01T00:00:00Z'))).toBeNull();
  });
  it('notifies within the notice lead time', () => {
    expect(sweepAction(gw(), settings, at('2026-01-09T12:00:00Z'))).toBe('notify_expiring');
    expect(sweepAction(gw(), settings, at('2026-01-09T11:59:59Z'))).toBeNull();
  });
  it('expires at expiry', () => {
    expect(sweepAction(gw(), settings, at('2026-01-10T12:00:00Z'))).toBe('expire');
    expect(sweepAction(gw({ resourceState: 'creating' }), settings, at('2026-02-10T12:00:00Z'))).toBe('expire');
    expect(sweepAction(gw({ resourceState: 'error' }), settings, at('2026-02-10T12:00:00Z'))).toBe('expire');
  });
  it('auto-renews within its lead time, and instead of expiring', () => {
    expect(sweepAction(gw({ autoRenew: true }), settings, at('2026-01-10T11:49:59Z'))).toBe('notify_expiring');
    expect(sweepAction(gw({ autoRenew: true }), settings, at('2026-01-10T11:50:00Z'))).toBe('auto_renew');
    expect(sweepAction(gw({ autoRenew: true }), settings, at('2026-01-11T00:00:00Z'))).toBe('auto_renew');
  });
  it('releases an expired gateway at the end of retention only', () => {
    const expired = gw({ resourceState: 'expired', expiredAt: at('2026-01-10T12:00:30Z') });
    expect(sweepAction(expired, settings, at('2026-01-17T12:00:29Z'))).toBeNull();
    expect(sweepAction(expired, settings, at('2026-01-17T12:00:30Z'))).toBe('release');
    // an expired gateway is never auto-renewed by the sweep (only a renewal restores it)
    expect(sweepAction({ ...expired, autoRenew: true }, settings, at('2026-01-11T00:00:00Z'))).toBeNull();
  });
  it('leaves deleting gateways and gateways without expiry alone', () => {
    expect(sweepAction(gw({ resourceState: 'deleting' }), settings, at('2027-01-01T00:00:00Z'))).toBeNull();
    expect(sweepAction(gw({ expiresAt: null }), settings, at('2027-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('unusedValue (the delete preview)', () => {
  const order = (start: string, end: string, amount = 30_000, refundedAmount = 0) => ({ amount, refundedAmount, periodStart: at(start), periodEnd: at(end) });
  it('is the share of each paid period still ahead, rounded down to minor units', () => {
    expect(unusedValue([order('2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z')], at('2026-01-11T00:00:00Z'))).toBe(20_000);
    expect(unusedValue([order('2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z', 10_000)], at('2026-01-11T00:00:00Z'))).toBe(6_666);
  });
  it('counts a period not started yet whole, a past one not at all, and refunds off', () => {
    const now = at('2026-01-11T00:00:00Z');
    expect(unusedValue([order('2026-01-31T00:00:00Z', '2026-03-02T00:00:00Z')], now)).toBe(30_000);
    expect(unusedValue([order('2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z')], now)).toBe(0);
    expect(unusedValue([order('2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z', 30_000, 15_000)], now)).toBe(10_000);
    expect(unusedValue([], now)).toBe(0);
  });
});
