import { Checked, Violation } from '../../common/violations';
import {
  checkInitiatorMode,
  checkName,
  checkPsk,
  checkRemark,
  checkTunnelSubnets,
  cidrsWithHostBits,
  MAX_LOCAL_SUBNETS,
  MAX_REMOTE_CIDRS,
  MAX_TUNNELS_PER_GATEWAY,
  MAX_TUNNELS_PER_PEER,
  PSK_MAX_LENGTH,
  TunnelSubnets,
  remoteMustUpdate,
} from './tunnel-rules';

function ok<T>(result: Checked<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.violations)}`);
  return result.value;
}

function bad<T>(result: Checked<T>): Violation[] {
  if (result.ok) throw new Error(`expected violations, got ${JSON.stringify(result.value)}`);
  return result.violations;
}

describe('limits', () => {
  it('are the spec numbers', () => {
    expect([MAX_TUNNELS_PER_GATEWAY, MAX_TUNNELS_PER_PEER, MAX_LOCAL_SUBNETS, MAX_REMOTE_CIDRS, PSK_MAX_LENGTH]).toEqual([20, 20, 20, 20, 128]);
  });
});

describe('checkPsk', () => {
  const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '?');

  it.each([
    ['a', 'one character'],
    ['x'.repeat(128), 'exactly 128 characters'],
    ['Secr3t!#$%&*()-_=+[]{};:,.<>/\\|~`^@"\'', 'special characters'],
    ['0123456789', 'digits only'],
  ])('accepts %p (%s)', (psk) => expect(checkPsk(psk)).toEqual([]));

  it('accepts every printable ASCII character except space and ?', () => {
    expect(printable).toHaveLength(93);
    expect(checkPsk(printable.join(''))).toEqual([]);
    for (const c of printable) expect(checkPsk(`k${c}k`)).toEqual([]);
  });

  it.each([
    ['', 'required', 'empty'],
    [undefined, 'required', 'missing'],
    [null, 'required', 'null'],
    [12345678, 'required', 'a number'],
    [['secret'], 'required', 'an array'],
    ['x'.repeat(129), 'max_length', '129 characters'],
    ['y'.repeat(1000), 'max_length', '1000 characters'],
    ['what?', 'charset', 'a question mark'],
    ['?', 'charset', 'only a question mark'],
    ['two words', 'charset', 'a space'],
    [' leading', 'charset', 'a leading space'],
    ['trailing ', 'charset', 'a trailing space'],
    ['tab\there', 'charset', 'a tab'],
    ['new\nline', 'charset', 'a newline'],
    ['cr\rhere', 'charset', 'a carriage return'],
    ['nul\u0000byte', 'charset', 'a NUL'],
    ['del\u007fchar', 'charset', 'DEL'],
    ['clé', 'charset', 'a non-ASCII letter'],
    ['密钥secret', 'charset', 'CJK characters'],
    ['nbsp\u00a0x', 'charset', 'a no-break space'],
    ['emoji😀', 'charset', 'an emoji'],
  ] as [unknown, string, string][])('rejects %p with rule %s (%s)', (psk, rule) => {
    expect(checkPsk(psk)).toEqual([expect.objectContaining({ field: 'psk', rule })]);
  });

  it('uses the field name it is given', () => {
    expect(checkPsk('bad key', 'ikePolicy.psk')[0].field).toBe('ikePolicy.psk');
  });

  it('names the offending character class, not the key', () => {
    expect(checkPsk('a b')[0].message).toContain('a space');
    expect(checkPsk('a?b')[0].message).toContain("'?'");
    expect(checkPsk('a\tb')[0].message).toContain('non-printable or non-ASCII');
  });

  // The key must never leave the validator: not as the value, nor inside any message or field.
  const secrets = [
    'SuperSecretKey with space',
    'WhatIsTheKey?Hunter2',
    'Tab\tSeparatedSecretValue',
    'NonAsciiSchlüsselGeheim',
    'L'.repeat(129),
    `${'LongSecret'.repeat(13)}`,
  ];
  it.each(secrets)('never reveals the key (%#)', (psk) => {
    const violations = checkPsk(psk);
    expect(violations).toHaveLength(1);
    expect(violations[0].value).toBe('<redacted>');
    const text = JSON.stringify(violations);
    expect(text).not.toContain(psk);
    // nor a recognisable fragment of it
    expect(text).not.toContain(psk.slice(0, 8));
    expect(text).not.toContain(psk.slice(-8));
  });

  it('redacts the value for a missing key too', () => {
    expect(checkPsk('')[0].value).toBe('<redacted>');
  });
});

const VPC = {
  cidr: '10.10.0.0/16',
  subnets: [
    { id: 'subnet-a', cidr: '10.10.1.0/24' },
    { id: 'subnet-b', cidr: '10.10.2.0/24' },
    { id: 'subnet-c', cidr: '10.10.128.0/20' },
  ],
};

describe('checkTunnelSubnets', () => {
  it('resolves local subnets to their CIDRs and keeps valid remote CIDRs', () => {
    expect(ok(checkTunnelSubnets({ localSubnetIds: ['subnet-a', 'subnet-c'], remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] }, VPC))).toEqual<TunnelSubnets>({
      localSubnetIds: ['subnet-a', 'subnet-c'],
      localCidrs: ['10.10.1.0/24', '10.10.128.0/20'],
      remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'],
    });
  });

  describe('local subnets', () => {
    it.each([
      [[], 'empty list'],
      [undefined, 'missing'],
      [null, 'null'],
      ['subnet-a', 'a string instead of a list'],
      [{ 0: 'subnet-a' }, 'an object'],
    ] as [unknown, string][])('%p (%s) -> count_1_to_20', (localSubnetIds) => {
      expect(bad(checkTunnelSubnets({ localSubnetIds, remoteCidrs: ['192.168.0.0/24'] }, VPC))).toEqual([
        expect.objectContaining({ field: 'localSubnetIds', rule: 'count_1_to_20' }),
      ]);
    });

    it.each([
      ['subnet-zzz', 'unknown id'],
      ['SUBNET-A', 'different case'],
      [42, 'a number'],
      [null, 'null'],
    ] as [unknown, string][])('rejects %p (%s) as not a subnet of the gateway VPC', (id) => {
      expect(bad(checkTunnelSubnets({ localSubnetIds: ['subnet-a', id], remoteCidrs: ['192.168.0.0/24'] }, VPC))).toEqual([
        expect.objectContaining({ field: 'localSubnetIds[1]', rule: 'subnet_of_gateway_vpc', value: id }),
      ]);
    });

    it('rejects a subnet of another VPC', () => {
      const other = { cidr: '172.31.0.0/16', subnets: [{ id: 'subnet-x', cidr: '172.31.0.0/24' }] };
      expect(bad(checkTunnelSubnets({ localSubnetIds: ['subnet-a'], remoteCidrs: ['192.168.0.0/24'] }, other))[0]).toMatchObject({
        rule: 'subnet_of_gateway_vpc',
      });
    });

    it('rejects duplicates', () => {
      expect(bad(checkTunnelSubnets({ localSubnetIds: ['subnet-a', 'subnet-b', 'subnet-a'], remoteCidrs: ['192.168.0.0/24'] }, VPC))).toEqual([
        expect.objectContaining({ field: 'localSubnetIds[2]', rule: 'no_duplicates', value: 'subnet-a' }),
      ]);
    });

    it('allows exactly 20 and rejects 21', () => {
      const subnets = Array.from({ length: 21 }, (_, i) => ({ id: `subnet-${i}`, cidr: `10.10.${i}.0/24` }));
      const vpc = { cidr: '10.10.0.0/16', subnets };
      const ids = subnets.map((s) => s.id);
      const twenty = ok(checkTunnelSubnets({ localSubnetIds: ids.slice(0, 20), remoteCidrs: ['192.168.0.0/24'] }, vpc));
      expect(twenty.localCidrs).toHaveLength(20);
      expect(bad(checkTunnelSubnets({ localSubnetIds: ids, remoteCidrs: ['192.168.0.0/24'] }, vpc))).toEqual([
        expect.objectContaining({ field: 'localSubnetIds', rule: 'count_1_to_20' }),
      ]);
    });
  });

  describe('remote CIDRs', () => {
    const check = (remoteCidrs: unknown) => checkTunnelSubnets({ localSubnetIds: ['subnet-a'], remoteCidrs }, VPC);

    it.each([
      [[], 'empty list'],
      [undefined, 'missing'],
      ['192.168.0.0/24', 'a string instead of a list'],
    ] as [unknown, string][])('%p (%s) -> count_1_to_20', (remoteCidrs) => {
      expect(bad(check(remoteCidrs))).toEqual([expect.objectContaining({ field: 'remoteCidrs', rule: 'count_1_to_20' })]);
    });

    it('allows exactly 20 and rejects 21', () => {
      const cidrs = Array.from({ length: 21 }, (_, i) => `192.168.${i}.0/24`);
      expect(ok(check(cidrs.slice(0, 20))).remoteCidrs).toEqual(cidrs.slice(0, 20));
      expect(bad(check(cidrs))).toEqual([expect.objectContaining({ field: 'remoteCidrs', rule: 'count_1_to_20' })]);
    });

    it.each(['10.0.0.0/33', '192.168.0/24', '192.168.0.0', '01.2.3.0/24', 'office-lan', '', 7, null, { cidr: '1.0.0.0/8' }])(
      'rejects %p as not a CIDR',
      (raw) => {
        expect(bad(check(['172.16.0.0/24', raw]))).toEqual([expect.objectContaining({ field: 'remoteCidrs[1]', rule: 'cidr', value: raw })]);
      },
    );

    it.each([
      ['172.16.1.5/24', '172.16.1.0/24'],
      ['192.168.7.200/22', '192.168.4.0/22'],
      ['8.8.8.8/32', '8.8.8.8/32'],
    ])('normalises host bits: %s -> %s', (raw, normal) => {
      expect(ok(check([raw])).remoteCidrs).toEqual([normal]);
    });

    it('cidrsWithHostBits names the entries that were rewritten', () => {
      expect(cidrsWithHostBits(['172.16.1.5/24', '172.16.2.0/24', '10.0.0.1/8'])).toEqual(['172.16.1.5/24', '10.0.0.1/8']);
      expect(cidrsWithHostBits(['172.16.2.0/24'])).toEqual([]);
    });

    it.each([
      [['172.16.0.0/16', '172.16.5.0/24'], '172.16.0.0/16', 'a subnet of an earlier entry'],
      [['172.16.5.0/24', '172.16.0.0/16'], '172.16.5.0/24', 'a supernet of an earlier entry'],
      [['172.16.5.0/24', '172.16.5.0/24'], '172.16.5.0/24', 'an exact duplicate'],
      [['172.16.5.0/24', '172.16.5.9/24'], '172.16.5.0/24', 'a duplicate after normalising'],
    ])('rejects overlap within the list: %p (%s)', (cidrs, clash) => {
      const violations = bad(check(cidrs));
      expect(violations).toEqual([expect.objectContaining({ field: 'remoteCidrs[1]', rule: 'no_overlap_within_remote', value: cidrs[1] })]);
      expect(violations[0].message).toContain(clash);
    });

    it('accepts adjacent remote CIDRs', () => {
      expect(ok(check(['172.16.0.0/25', '172.16.0.128/25'])).remoteCidrs).toHaveLength(2);
    });

    it.each([
      ['10.10.1.0/24', 'equal to the local subnet'],
      ['10.10.1.128/25', 'inside the local subnet'],
      ['10.10.0.0/23', 'containing the local subnet'],
      ['10.0.0.0/8', 'much larger than the local subnet'],
    ])('rejects %s (%s) as overlapping the local subnets', (raw) => {
      const violations = bad(check([raw]));
      expect(violations).toEqual([expect.objectContaining({ field: 'remoteCidrs[0]', rule: 'no_overlap_with_local', value: raw })]);
      expect(violations[0].message).toContain('10.10.1.0/24');
    });

    it.each([
      ['0.0.0.0/0', 'not_default_route'],
      ['0.0.0.0/32', 'not_unspecified'],
      ['127.0.0.0/8', 'not_loopback'],
      ['169.254.169.254/32', 'not_link_local'],
      ['224.0.0.0/4', 'not_multicast'],
      ['255.255.255.255/32', 'not_broadcast'],
    ])('rejects %s (%s): not reachable through a tunnel', (raw, rule) => {
      expect(bad(check([raw]))).toEqual([expect.objectContaining({ field: 'remoteCidrs[0]', rule, value: raw })]);
    });

    it('checks every local subnet, not only the first', () => {
      const result = checkTunnelSubnets({ localSubnetIds: ['subnet-a', 'subnet-c'], remoteCidrs: ['10.10.130.0/24'] }, VPC);
      expect(bad(result)[0]).toMatchObject({ rule: 'no_overlap_with_local' });
    });

    it.each([
      ['10.10.2.0/24', 'another subnet of the VPC, not a local one'],
      ['10.10.200.0/24', 'unused space of the VPC'],
      ['10.10.64.0/18', 'a larger block inside the VPC'],
    ])('rejects %s (%s) as overlapping the VPC', (raw) => {
      expect(bad(check([raw]))).toEqual([expect.objectContaining({ field: 'remoteCidrs[0]', rule: 'no_overlap_with_vpc', value: raw })]);
    });

    it('accepts CIDRs just outside the VPC', () => {
      expect(ok(check(['10.9.255.0/24', '10.11.0.0/16'])).remoteCidrs).toEqual(['10.9.255.0/24', '10.11.0.0/16']);
    });

    it('reports local and remote problems together, each at its index', () => {
      const violations = bad(checkTunnelSubnets({ localSubnetIds: ['nope'], remoteCidrs: ['192.168.1.0/24', 'bad', '192.168.1.0/25'] }, VPC));
      expect(violations.map((v) => [v.field, v.rule])).toEqual([
        ['localSubnetIds[0]', 'subnet_of_gateway_vpc'],
        ['remoteCidrs[1]', 'cidr'],
        ['remoteCidrs[2]', 'no_overlap_within_remote'],
      ]);
    });
  });
});

describe('checkName', () => {
  it.each(['a', 'tunnel-to-beijing-idc', '办公室隧道', 'x'.repeat(64), ' padded '])('accepts %p', (name) => expect(checkName(name)).toEqual([]));

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['x'.repeat(65), '65 characters'],
    ['line\nbreak', 'a newline'],
    ['tab\tname', 'a tab'],
    ['nul\u0000', 'a NUL'],
    [undefined, 'missing'],
    [null, 'null'],
    [7, 'a number'],
  ] as [unknown, string][])('rejects %p (%s)', (name) => {
    expect(checkName(name)).toEqual([expect.objectContaining({ field: 'name', rule: 'name', value: name })]);
  });

  it('uses the field name it is given', () => {
    expect(checkName('', 'gatewayName')[0].field).toBe('gatewayName');
  });
});

describe('checkRemark', () => {
  it.each([undefined, null, '', 'line one\nline two', 'x'.repeat(256), '备注'])('accepts %p', (remark) => expect(checkRemark(remark)).toEqual([]));

  it.each([
    ['x'.repeat(257), '257 characters'],
    ['tab\there', 'a tab'],
    ['bell\u0007', 'a control character'],
    ['cr\rlf', 'a carriage return'],
    [5, 'a number'],
    [['remark'], 'an array'],
  ] as [unknown, string][])('rejects %p (%s)', (remark) => {
    expect(checkRemark(remark)).toEqual([expect.objectContaining({ field: 'remark', rule: 'remark', value: remark })]);
  });

  it('uses the field name it is given', () => {
    expect(checkRemark(5, 'note')[0].field).toBe('note');
  });
});

describe('initiator mode (issue 16)', () => {
  it('defaults to bidirectional, and to response-only for a 0.0.0.0 peer', () => {
    expect(ok(checkInitiatorMode(undefined, '203.0.113.5'))).toBe('bidirectional');
    expect(ok(checkInitiatorMode(null, '0.0.0.0'))).toBe('response-only');
    expect(ok(checkInitiatorMode('response-only', '203.0.113.5'))).toBe('response-only');
  });

  it('refuses unknown values and bidirectional towards 0.0.0.0, naming the field and rule', () => {
    expect(bad(checkInitiatorMode('passive', '203.0.113.5'))).toEqual([expect.objectContaining({ field: 'initiatorMode', rule: 'one_of', value: 'passive' })]);
    expect(bad(checkInitiatorMode('bidirectional', '0.0.0.0'))).toEqual([
      expect.objectContaining({ field: 'initiatorMode', rule: 'any_peer_is_response_only' }),
    ]);
  });

  it('changing it is something the remote must follow (its file brings the tunnel back when the platform closes it)', () => {
    const before = {
      localSubnetIds: ['s'],
      remoteCidrs: ['10.0.0.0/8'],
      ikePolicy: {} as any,
      ipsecPolicy: {} as any,
      initiatorMode: 'bidirectional' as const,
    };
    expect(remoteMustUpdate(before, { initiatorMode: 'response-only' })).toBe(true);
    expect(remoteMustUpdate(before, { initiatorMode: 'bidirectional' })).toBe(false);
  });
});
