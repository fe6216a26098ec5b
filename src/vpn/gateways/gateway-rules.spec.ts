import { allocatePrivateIp, checkPeriod, checkPlacement, expiryFrom, PERIOD_RANGE, PlacementFacts } from './gateway-rules';
import { ChargeType } from '../../common/states';

const facts = (
  over: { vpc?: Partial<PlacementFacts['vpc']>; subnet?: Partial<PlacementFacts['subnet']>; externalIp?: Partial<PlacementFacts['externalIp']> } = {},
): PlacementFacts => ({
  vpc: { id: 'vpc-1', dataCenterId: 'dc-east', ...over.vpc },
  subnet: { id: 'subnet-1', vpcId: 'vpc-1', ...over.subnet },
  externalIp: { id: 'eip-1', address: '198.51.100.10', dataCenterId: 'dc-east', boundTo: null, ...over.externalIp },
});

describe('checkPlacement', () => {
  it('accepts a subnet of the VPC and a free external IP in the same data center', () => {
    expect(checkPlacement(facts())).toEqual({ invalid: [], conflicts: [] });
  });

  it('rejects a subnet of another VPC', () => {
    expect(checkPlacement(facts({ subnet: { vpcId: 'vpc-2' } }))).toEqual({
      invalid: [expect.objectContaining({ field: 'subnetId', rule: 'subnet_in_vpc', value: 'subnet-1' })],
      conflicts: [],
    });
  });

  it('rejects an external IP of another data center', () => {
    const result = checkPlacement(facts({ externalIp: { dataCenterId: 'dc-west' } }));
    expect(result.invalid).toEqual([expect.objectContaining({ field: 'externalIpId', rule: 'same_data_center', value: 'eip-1' })]);
    expect(result.conflicts).toEqual([]);
  });

  it('reports an already bound external IP as a conflict, naming the holder', () => {
    const result = checkPlacement(facts({ externalIp: { boundTo: 'vpngw-other' } }));
    expect(result.invalid).toEqual([]);
    expect(result.conflicts).toEqual([expect.objectContaining({ field: 'externalIpId', rule: 'external_ip_unbound', value: 'eip-1' })]);
    expect(result.conflicts[0].message).toContain('vpngw-other');
  });

  it('reports all problems at once', () => {
    const result = checkPlacement(facts({ subnet: { vpcId: 'vpc-9' }, externalIp: { dataCenterId: 'dc-west', boundTo: 'vm-3' } }));
    expect(result.invalid.map((v) => v.rule)).toEqual(['subnet_in_vpc', 'same_data_center']);
    expect(result.conflicts.map((v) => v.rule)).toEqual(['external_ip_unbound']);
  });
});

describe('allocatePrivateIp', () => {
  it('picks the highest host address (below the broadcast)', () => {
    expect(allocatePrivateIp('10.0.1.0/24', [])).toBe('10.0.1.254');
    expect(allocatePrivateIp('10.0.0.0/16', [])).toBe('10.0.255.254');
    expect(allocatePrivateIp('192.168.4.0/22', [])).toBe('192.168.7.254');
  });

  it('clears host bits of the subnet given', () => {
    expect(allocatePrivateIp('10.0.1.77/24', [])).toBe('10.0.1.254');
  });

  it('skips used addresses', () => {
    expect(allocatePrivateIp('10.0.1.0/24', ['10.0.1.254'])).toBe('10.0.1.253');
    expect(allocatePrivateIp('10.0.1.0/24', new Set(['10.0.1.254', '10.0.1.253', '10.0.1.251']))).toBe('10.0.1.252');
  });

  it('ignores used addresses outside the subnet', () => {
    expect(allocatePrivateIp('10.0.1.0/24', ['10.0.2.254', '10.0.0.254'])).toBe('10.0.1.254');
  });

  it('never hands out the network, broadcast or .1 (router) address', () => {
    // /29: .0 network, .1 router, .7 broadcast; hosts .2-.6
    const used: string[] = [];
    const handed: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ip = allocatePrivateIp('10.0.0.0/29', used);
      if (!ip) break;
      handed.push(ip);
      used.push(ip);
    }
    expect(handed).toEqual(['10.0.0.6', '10.0.0.5', '10.0.0.4', '10.0.0.3', '10.0.0.2']);
  });

  it('returns null when the only addresses left are network, .1 and broadcast', () => {
    expect(allocatePrivateIp('10.0.0.0/29', ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'])).toBeNull();
  });

  it.each([
    ['10.0.0.0/30', [], '10.0.0.2'],
    ['10.0.0.0/30', ['10.0.0.2'], null],
    ['10.0.0.0/31', [], null],
    ['10.0.0.0/32', [], null],
  ])('small subnet %s with %p used -> %p', (subnet, used, expected) => {
    expect(allocatePrivateIp(subnet, used)).toBe(expected);
  });

  it('returns null for an invalid subnet', () => {
    expect(allocatePrivateIp('10.0.0.0/33', [])).toBeNull();
    expect(allocatePrivateIp('nonsense', [])).toBeNull();
  });

  it('works in the upper half of the address space', () => {
    expect(allocatePrivateIp('200.1.2.0/24', ['200.1.2.254'])).toBe('200.1.2.253');
  });
});

describe('checkPeriod', () => {
  it('has the spec ranges', () => {
    expect(PERIOD_RANGE).toEqual({
      hourly: { min: 1, max: 24, unit: 'hours' },
      monthly: { min: 1, max: 11, unit: 'months' },
      yearly: { min: 1, max: 5, unit: 'years' },
    });
  });

  it.each([
    ['hourly', 1],
    ['hourly', 12],
    ['hourly', 24],
    ['monthly', 1],
    ['monthly', 11],
    ['yearly', 1],
    ['yearly', 5],
  ] as [ChargeType, number][])('accepts %s %d', (chargeType, period) => {
    expect(checkPeriod(chargeType, period)).toEqual([]);
  });

  it.each([
    ['hourly', 0],
    ['hourly', 25],
    ['hourly', -1],
    ['hourly', 1.5],
    ['monthly', 0],
    ['monthly', 12],
    ['monthly', 2.5],
    ['yearly', 0],
    ['yearly', 6],
    ['yearly', NaN],
    ['yearly', Infinity],
  ] as [ChargeType, number][])('rejects %s %p with period_range', (chargeType, period) => {
    const violations = checkPeriod(chargeType, period);
    expect(violations).toEqual([expect.objectContaining({ field: 'period', rule: 'period_range', value: period })]);
    expect(violations[0].message).toContain(`${PERIOD_RANGE[chargeType].min} to ${PERIOD_RANGE[chargeType].max} ${PERIOD_RANGE[chargeType].unit}`);
  });

  it('uses the field name it is given', () => {
    expect(checkPeriod('monthly', 12, 'renewPeriod')[0].field).toBe('renewPeriod');
  });
});

describe('expiryFrom', () => {
  const at = (iso: string) => new Date(iso);

  it.each([
    ['2025-03-10T08:30:00.000Z', 'hourly', 1, '2025-03-10T09:30:00.000Z'],
    ['2025-03-10T08:30:00.000Z', 'hourly', 24, '2025-03-11T08:30:00.000Z'],
    ['2025-12-31T23:15:00.000Z', 'hourly', 2, '2026-01-01T01:15:00.000Z'],
    ['2025-03-10T08:30:00.000Z', 'monthly', 1, '2025-04-10T08:30:00.000Z'],
    ['2025-03-10T08:30:00.000Z', 'monthly', 11, '2026-02-10T08:30:00.000Z'],
    ['2025-11-15T00:00:00.000Z', 'monthly', 3, '2026-02-15T00:00:00.000Z'],
    ['2025-03-10T08:30:00.000Z', 'yearly', 1, '2026-03-10T08:30:00.000Z'],
    ['2025-03-10T08:30:00.000Z', 'yearly', 5, '2030-03-10T08:30:00.000Z'],
    // calendar months: the end of a short month is the end, not a spill into the next month
    ['2025-01-31T12:00:00.000Z', 'monthly', 1, '2025-02-28T12:00:00.000Z'],
    ['2024-01-31T12:00:00.000Z', 'monthly', 1, '2024-02-29T12:00:00.000Z'],
    ['2025-03-31T12:00:00.000Z', 'monthly', 1, '2025-04-30T12:00:00.000Z'],
    ['2025-08-31T12:00:00.000Z', 'monthly', 6, '2026-02-28T12:00:00.000Z'],
    ['2025-01-30T12:00:00.000Z', 'monthly', 2, '2025-03-30T12:00:00.000Z'],
    ['2024-02-29T06:00:00.000Z', 'yearly', 1, '2025-02-28T06:00:00.000Z'],
    ['2024-02-29T06:00:00.000Z', 'yearly', 4, '2028-02-29T06:00:00.000Z'],
  ] as [string, ChargeType, number, string][])('%s + %s %d = %s', (from, chargeType, period, expected) => {
    expect(expiryFrom(at(from), chargeType, period).toISOString()).toBe(expected);
  });

  it('does not modify the start date', () => {
    const from = at('2025-03-10T08:30:00.000Z');
    expiryFrom(from, 'yearly', 2);
    expect(from.toISOString()).toBe('2025-03-10T08:30:00.000Z');
  });
});
