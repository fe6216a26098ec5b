// Purchase and renewal periods per charge type (mirrors src/vpn/gateways/gateway-rules.ts PERIOD_RANGE).
import type { ChargeType } from '../../components/state';

export const PERIOD_RANGE: Record<ChargeType, { min: number; max: number }> = {
  hourly: { min: 1, max: 24 },
  monthly: { min: 1, max: 11 },
  yearly: { min: 1, max: 5 },
};

export function periodOptions(chargeType: ChargeType, t: (k: string, o?: Record<string, unknown>) => string) {
  const r = PERIOD_RANGE[chargeType];
  const out: { value: number; label: string }[] = [];
  for (let n = r.min; n <= r.max; n++) out.push({ value: n, label: t(`period.${chargeType}`, { count: n }) });
  return out;
}
