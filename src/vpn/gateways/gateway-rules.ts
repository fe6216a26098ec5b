// Pure rules for placing a VPN gateway (docs/spec.md, "VPN gateway").
import { intToIp, ipToInt, parseCidr } from '../../common/cidr';
import { Violation, violation } from '../../common/violations';
import { ChargeType } from '../../common/states';

export interface PlacementFacts {
  vpc: { id: string; dataCenterId: string };
  subnet: { id: string; vpcId: string };
  externalIp: { id: string; address: string; dataCenterId: string; boundTo: string | null };
}

/** The subnet must be in the VPC; the external IP in the VPC's data center and bound to nothing. */
export function checkPlacement(f: PlacementFacts): { invalid: Violation[]; conflicts: Violation[] } {
  const invalid: Violation[] = [];
  const conflicts: Violation[] = [];
  if (f.subnet.vpcId !== f.vpc.id) {
    invalid.push(violation('subnetId', 'subnet_in_vpc', f.subnet.id, `subnet ${f.subnet.id} is not in VPC ${f.vpc.id}`));
  }
  if (f.externalIp.dataCenterId !== f.vpc.dataCenterId) {
    invalid.push(
      violation('externalIpId', 'same_data_center', f.externalIp.id, `external IP ${f.externalIp.address} is in another data center than VPC ${f.vpc.id}`),
    );
  }
  if (f.externalIp.boundTo) {
    conflicts.push(
      violation('externalIpId', 'external_ip_unbound', f.externalIp.id, `external IP ${f.externalIp.address} is already bound to ${f.externalIp.boundTo}`),
    );
  }
  return { invalid, conflicts };
}

/**
 * The gateway's address in its subnet: the highest free host address (clouds keep the low end for
 * instances and .1 for the router). Null when the subnet is full.
 */
export function allocatePrivateIp(subnetCidr: string, used: Iterable<string>): string | null {
  const cidr = parseCidr(subnetCidr);
  if (!cidr) return null;
  const taken = new Set([...used].map(ipToInt));
  const broadcast = cidr.network + 2 ** (32 - cidr.prefix) - 1;
  for (let n = broadcast - 1; n > cidr.network + 1; n--) {
    if (!taken.has(n)) return intToIp(n);
  }
  return null;
}

/** Purchase and renewal periods per charge type (docs/spec.md, "Renewal"). */
export const PERIOD_RANGE: Record<ChargeType, { min: number; max: number; unit: string }> = {
  hourly: { min: 1, max: 24, unit: 'hours' },
  monthly: { min: 1, max: 11, unit: 'months' },
  yearly: { min: 1, max: 5, unit: 'years' },
};

export function checkPeriod(chargeType: ChargeType, period: number, field = 'period'): Violation[] {
  const range = PERIOD_RANGE[chargeType];
  if (!Number.isInteger(period) || period < range.min || period > range.max) {
    return [violation(field, 'period_range', period, `${chargeType} gateways are bought or renewed for ${range.min} to ${range.max} ${range.unit}`)];
  }
  return [];
}

/** When a purchase of `period` units starting at `from` ends (calendar months and years). */
export function expiryFrom(from: Date, chargeType: ChargeType, period: number): Date {
  const d = new Date(from.getTime());
  if (chargeType === 'hourly') {
    d.setUTCHours(d.getUTCHours() + period);
    return d;
  }
  // Add whole months on day 1, then clamp to the target month's length: Jan 31 + 1 month is
  // Feb 28/29 (not Mar 3), Feb 29 + 1 year is Feb 28.
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + (chargeType === 'monthly' ? period : period * 12));
  const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, daysInMonth));
  return d;
}
