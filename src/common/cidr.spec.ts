import {
  cidrContains,
  cidrContainsIp,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  hasHostBits,
  intToIp,
  ipToInt,
  isFqdn,
  isIpv4,
  maskOf,
  normalizeCidr,
  parseCidr,
  peerAddressProblem,
  remoteCidrProblem,
} from './cidr';

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`test setup: ${text} is not a CIDR`);
  return parsed;
};

describe('isIpv4', () => {
  it.each(['0.0.0.0', '1.2.3.4', '10.0.0.1', '192.168.255.255', '255.255.255.255', '100.64.0.9', '249.250.199.200'])('accepts %s', (ip) =>
    expect(isIpv4(ip)).toBe(true),
  );

  it.each([
    ['', 'empty'],
    ['1.2.3', 'three octets'],
    ['1.2.3.4.5', 'five octets'],
    ['256.0.0.1', 'octet over 255'],
    ['1.2.3.260', 'last octet over 255'],
    ['300.1.1.1', 'octet 300'],
    ['01.2.3.4', 'leading zero'],
    ['1.2.3.04', 'leading zero in last octet'],
    ['1.2.3.00', 'double zero'],
    ['-1.2.3.4', 'negative'],
    ['1.2.3.4 ', 'trailing space'],
    [' 1.2.3.4', 'leading space'],
    ['1.2.3.4/32', 'a CIDR'],
    ['a.b.c.d', 'letters'],
    ['1..3.4', 'empty octet'],
    ['0x1.2.3.4', 'hex'],
    ['::1', 'IPv6'],
  ])('rejects %p (%s)', (ip) => expect(isIpv4(ip)).toBe(false));
});

describe('ipToInt / intToIp', () => {
  it.each([
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['0.0.1.0', 256],
    ['1.0.0.0', 16777216],
    ['10.1.2.3', 0x0a010203],
    ['127.0.0.1', 0x7f000001],
    ['192.168.1.254', 0xc0a801fe],
    ['255.255.255.255', 0xffffffff],
  ])('%s <-> %d', (ip, n) => {
    expect(ipToInt(ip)).toBe(n);
    expect(intToIp(n)).toBe(ip);
  });

  it('gives unsigned numbers for addresses at or above 128.0.0.0', () => {
    expect(ipToInt('128.0.0.0')).toBe(2 ** 31);
    expect(ipToInt('200.1.1.1')).toBeGreaterThan(0);
  });

  it.each(['1.2.3', '256.1.1.1', '01.2.3.4', 'x'])('ipToInt throws on %p', (ip) => {
    expect(() => ipToInt(ip)).toThrow(/not an IPv4 address/);
  });
});

describe('maskOf', () => {
  it.each([
    [0, 0],
    [1, 0x80000000],
    [8, 0xff000000],
    [24, 0xffffff00],
    [31, 0xfffffffe],
    [32, 0xffffffff],
  ])('/%d -> %d (unsigned)', (prefix, mask) => expect(maskOf(prefix)).toBe(mask));
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0', 8],
    ['192.168.1.0/24', '192.168.1.0', 24],
    ['0.0.0.0/0', '0.0.0.0', 0],
    ['1.2.3.4/32', '1.2.3.4', 32],
    ['172.16.1.5/24', '172.16.1.0', 24],
    ['10.1.2.3/16', '10.1.0.0', 16],
    ['255.255.255.255/1', '128.0.0.0', 1],
    ['200.200.200.200/31', '200.200.200.200', 31],
    ['  10.0.0.0/8\n', '10.0.0.0', 8],
  ])('parses %p to network %s prefix %d (host bits cleared)', (text, network, prefix) => {
    expect(parseCidr(text)).toEqual({ network: ipToInt(network), prefix });
  });

  it('returns an unsigned network for high addresses', () => {
    expect(parseCidr('224.0.0.0/4')!.network).toBe(0xe0000000);
  });

  it.each([
    ['10.0.0.0/33', 'prefix over 32'],
    ['10.0.0.0/99', 'prefix 99'],
    ['10.0.0.0/100', 'three-digit prefix'],
    ['10.0.0/8', 'three octets'],
    ['10.0.0.0.0/8', 'five octets'],
    ['01.2.3.4/8', 'leading zero in an octet'],
    ['256.0.0.0/8', 'octet over 255'],
    ['10.0.0.0/08', 'leading zero in the prefix'],
    ['10.0.0.0/00', 'zero written twice'],
    ['10.0.0.0/01', 'leading zero before 1'],
    ['10.0.0.0/-1', 'negative prefix'],
    ['10.0.0.0/', 'empty prefix'],
    ['10.0.0.0', 'no prefix'],
    ['/8', 'no address'],
    ['10.0.0.0/8/8', 'two prefixes'],
    ['10.0.0.0 /8', 'space before slash'],
    ['10.0.0.0/ 8', 'space after slash'],
    ['10.0.0.0/8a', 'letter in prefix'],
    ['10.0.0.0/2.5', 'fractional prefix'],
    ['', 'empty'],
  ])('rejects %p (%s)', (text) => expect(parseCidr(text)).toBeNull());
});

describe('formatCidr / normalizeCidr', () => {
  it('formats a parsed CIDR', () => {
    expect(formatCidr({ network: 0x0a000000, prefix: 8 })).toBe('10.0.0.0/8');
  });

  it.each([
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['172.16.1.5/24', '172.16.1.0/24'],
    ['192.168.7.255/23', '192.168.6.0/23'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['8.8.8.8/0', '0.0.0.0/0'],
    ['1.2.3.4/32', '1.2.3.4/32'],
    [' 10.9.9.9/8 ', '10.0.0.0/8'],
  ])('%p -> %p', (input, out) => expect(normalizeCidr(input)).toBe(out));

  it.each(['10.0.0.0/33', 'nope', '10.0.0/8', '10.0.0.0/08'])('returns null for %p', (input) => {
    expect(normalizeCidr(input)).toBeNull();
  });
});

describe('hasHostBits', () => {
  it.each([
    ['10.1.2.3/16', true],
    ['172.16.1.5/24', true],
    ['192.168.1.1/31', true],
    ['10.0.0.0/8', false],
    ['10.1.0.0/16', false],
    ['1.2.3.4/32', false],
    ['0.0.0.0/0', false],
    ['9.9.9.9/0', true],
    ['not a cidr', false],
    ['10.0.0.1/33', false],
  ])('%p -> %p', (text, expected) => expect(hasHostBits(text)).toBe(expected));
});

describe('cidrSize', () => {
  it.each([
    ['10.0.0.0/8', 2 ** 24],
    ['10.0.0.0/24', 256],
    ['10.0.0.0/32', 1],
    ['0.0.0.0/0', 2 ** 32],
  ])('%s holds %d addresses', (text, size) => expect(cidrSize(cidr(text))).toBe(size));
});

describe('cidrsOverlap', () => {
  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.1.0.0/16', '10.0.0.0/8', true],
    ['10.0.0.0/24', '10.0.0.0/24', true],
    ['10.0.0.0/23', '10.0.1.0/24', true],
    ['0.0.0.0/0', '203.0.113.0/24', true],
    ['192.168.1.7/32', '192.168.1.0/24', true],
    ['200.0.0.0/8', '200.255.0.0/16', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/8', '11.0.0.0/8', false],
    ['192.168.0.0/24', '192.168.1.0/24', false],
    ['10.0.0.0/25', '10.0.0.128/25', false],
    ['200.0.0.0/8', '201.0.0.0/8', false],
    ['128.0.0.0/1', '0.0.0.0/1', false],
  ])('%s and %s -> %p', (a, b, expected) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(expected);
    expect(cidrsOverlap(cidr(b), cidr(a))).toBe(expected);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['0.0.0.0/0', '1.2.3.4/32', true],
    ['192.168.0.0/16', '192.168.255.0/24', true],
    ['10.1.0.0/16', '10.0.0.0/8', false], // larger inside smaller: overlaps but not contained
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/8', '11.0.0.0/16', false],
  ])('%s contains %s -> %p', (outer, inner, expected) => {
    expect(cidrContains(cidr(outer), cidr(inner))).toBe(expected);
  });
});

describe('cidrContainsIp', () => {
  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['200.1.1.0/24', '200.1.1.200', true],
    ['200.1.1.0/24', '200.1.2.200', false],
    ['1.2.3.4/32', '1.2.3.4', true],
    ['1.2.3.4/32', '1.2.3.5', false],
    ['0.0.0.0/0', '255.255.255.255', true],
  ])('%s contains %s -> %p', (c, ip, expected) => expect(cidrContainsIp(cidr(c), ip)).toBe(expected));

  it('throws on an invalid address', () => {
    expect(() => cidrContainsIp(cidr('10.0.0.0/8'), '10.0.0')).toThrow();
  });
});

describe('peerAddressProblem', () => {
  it.each(['0.0.0.0', '203.0.113.7', '8.8.8.8', '126.255.255.255', '128.0.0.1', '223.255.255.255', '240.0.0.1', '255.255.255.254', '10.0.0.1'])(
    'accepts %s',
    (ip) => expect(peerAddressProblem(ip)).toBeNull(),
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.0.0.0', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['224.0.0.0', 'multicast'],
    ['224.0.0.5', 'multicast'],
    ['230.1.2.3', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['169.254.169.254', 'link_local'],
    ['169.254.0.1', 'link_local'],
    ['', 'invalid_ipv4'],
    ['1.2.3', 'invalid_ipv4'],
    ['256.1.1.1', 'invalid_ipv4'],
    ['01.2.3.4', 'invalid_ipv4'],
    ['vpn.example.com', 'invalid_ipv4'],
    ['1.2.3.4/32', 'invalid_ipv4'],
  ])('%p -> %s', (ip, problem) => expect(peerAddressProblem(ip)).toBe(problem));
});

describe('remoteCidrProblem', () => {
  it.each(['172.16.1.0/24', '192.168.0.0/16', '203.0.113.0/24', '10.0.0.0/8', '1.0.0.0/8', '223.255.255.0/24', '240.0.0.0/5'])('accepts %s', (c) => {
    expect(remoteCidrProblem(parseCidr(c)!)).toBeNull();
  });

  it.each([
    ['0.0.0.0/0', 'not_default_route'],
    ['0.0.0.0/32', 'not_unspecified'],
    ['0.0.0.0/1', 'not_unspecified'],
    ['127.0.0.0/8', 'not_loopback'],
    ['127.0.0.1/32', 'not_loopback'],
    ['64.0.0.0/2', 'not_loopback'],
    ['169.254.169.254/32', 'not_link_local'],
    ['224.0.0.0/24', 'not_multicast'],
    ['255.255.255.255/32', 'not_broadcast'],
    ['248.0.0.0/5', 'not_broadcast'],
  ])('%s -> %s', (c, rule) => expect(remoteCidrProblem(parseCidr(c)!)?.rule).toBe(rule));
});

describe('isFqdn', () => {
  it.each([
    'example.com',
    'vpn.example.com',
    'vpn.example.com.',
    'a.io',
    'my-gw.office-1.example.org',
    'A1.B2.Cn',
    'x123.xn--p1ai',
    `${'a'.repeat(63)}.com`,
    'host.10.example.net',
  ])('accepts %p', (name) => expect(isFqdn(name)).toBe(true));

  it.each([
    ['', 'empty'],
    ['localhost', 'no dot'],
    ['1.2.3.4', 'an IPv4 address'],
    ['1.2.3.999', 'digits only in the last label'],
    ['example.123', 'numeric top-level label'],
    ['-gw.example.com', 'label starting with a hyphen'],
    ['gw-.example.com', 'label ending with a hyphen'],
    ['gw..example.com', 'empty label'],
    ['.example.com', 'leading dot'],
    ['gw_1.example.com', 'underscore'],
    ['gw 1.example.com', 'space'],
    ['gw.exämple.com', 'non-ASCII'],
    ['user@example.com', 'an email'],
    [`${'a'.repeat(64)}.com`, 'label of 64 characters'],
    [`${Array(64).fill('abc').join('.')}.com`, 'longer than 253 characters'],
    ['example.com..', 'two trailing dots'],
  ])('rejects %p (%s)', (name) => expect(isFqdn(name)).toBe(false));

  it('accepts a name of exactly 253 characters', () => {
    const exact = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(exact).toHaveLength(253);
    expect(isFqdn(exact)).toBe(true);
    expect(isFqdn(`${exact}x`)).toBe(false);
  });
});
