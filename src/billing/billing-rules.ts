// Pure billing rules: money arithmetic, renewal periods and what the sweep does to a gateway.
import { Violation, violation } from '../common/violations';
import { checkPeriod, expiryFrom } from '../vpn/gateways/gateway-rules';
import { ChargeType } from '../common/states';

/** Largest unit price the operator may set (minor units): keeps every amount an exact integer. */
export const MAX_UNIT_PRICE = 1_000_000_000_000;
/** Largest single top-up (minor units). */
export const MAX_TOP_UP = 1_000_000_000_000;

const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK']);

/** "1234.50 CNY": for messages only; the API always carries integer minor units. */
export function formatMoney(minor: number, currency: string): string {
  if (ZERO_DECIMAL.has(currency)) return `${minor} ${currency}`;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}

export function checkCurrency(currency: unknown, field = 'currency'): Violation[] {
  return typeof currency === 'string' && /^[A-Z]{3}$/.test(currency)
    ? []
    : [violation(field, 'iso_4217', currency, `${field} must be a three-letter ISO 4217 code in capitals, e.g. CNY or USD`)];
}

export function checkMinor(value: unknown, field: string, min: number, max: number): Violation[] {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    return [violation(field, 'minor_units', value, `${field} must be an integer number of minor units (e.g. fen or cents) from ${min} to ${max}`)];
  }
  return [];
}

/** Quantity is always 1: the amount of an order is the unit price times the period. */
export function orderAmount(unitPrice: number, period: number): number {
  const amount = unitPrice * period;
  if (!Number.isSafeInteger(amount)) throw new Error(`amount ${unitPrice} x ${period} is not an exact integer`);
  return amount;
}

/** A renewal uses the gateway's own charge type, with the purchase ranges. */
export function checkRenewalPeriod(chargeType: ChargeType, period: unknown): Violation[] {
  if (typeof period !== 'number')
    return [violation('period', 'period_range', period, "period is required: a whole number of units of the gateway's charge type")];
  return checkPeriod(chargeType, period);
}

/**
 * The paid time a renewal adds starts where the current one ends, or now when it already ended
 * (an expired gateway is not charged for the time it spent stopped).
 */
export function renewalPeriod(expiresAt: Date | null, now: Date, chargeType: ChargeType, period: number): { start: Date; end: Date } {
  const start = expiresAt && expiresAt.getTime() > now.getTime() ? expiresAt : now;
  return { start, end: expiryFrom(start, chargeType, period) };
}

export interface SweepSettings {
  retentionHours: number;
  noticeLeadHours: number;
  autoRenewLeadMinutes: number;
}

export interface SweepGateway {
  resourceState: string;
  autoRenew: boolean;
  expiresAt: Date | null;
  expiredAt: Date | null;
}

export type SweepAction = 'release' | 'expire' | 'auto_renew' | 'notify_expiring' | null;

const HOUR = 3_600_000;

/** What the sweep does to one gateway now (at most one action per gateway per run). */
export function sweepAction(g: SweepGateway, s: SweepSettings, now: Date): SweepAction {
  if (g.resourceState === 'deleting' || !g.expiresAt) return null;
  const t = now.getTime();
  if (g.resourceState === 'expired') {
    const since = (g.expiredAt ?? g.expiresAt).getTime();
    return t >= since + s.retentionHours * HOUR ? 'release' : null;
  }
  const left = g.expiresAt.getTime() - t;
  // Auto-renewal is tried first (also when already due): the gateway expires only when it fails.
  if (g.autoRenew && left <= s.autoRenewLeadMinutes * 60_000) return 'auto_renew';
  if (left <= 0) return 'expire';
  if (left <= s.noticeLeadHours * HOUR) return 'notify_expiring';
  return null;
}

/** When a released gateway goes: `retentionHours` after it expired. */
export function releaseAt(expiredAt: Date, retentionHours: number): Date {
  return new Date(expiredAt.getTime() + retentionHours * HOUR);
}

/** What a paid period has left at `now`, for the delete preview (docs/billing.md "Deleting"). */
export interface PaidPeriod {
  amount: number;
  refundedAmount: number;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * The pro-rata value of the paid time not yet used: for each order, what was paid and not refunded
 * times the share of its period still ahead (a period not started yet counts whole), in minor
 * units rounded down. Deleting forfeits it (docs/decisions.md: no refund on delete).
 */
export function unusedValue(orders: PaidPeriod[], now: Date): number {
  let total = 0;
  for (const o of orders) {
    const length = o.periodEnd.getTime() - o.periodStart.getTime();
    const left = o.periodEnd.getTime() - Math.max(now.getTime(), o.periodStart.getTime());
    if (length <= 0 || left <= 0) continue;
    total += Math.floor(((o.amount - o.refundedAmount) * Math.min(left, length)) / length);
  }
  return total;
}
