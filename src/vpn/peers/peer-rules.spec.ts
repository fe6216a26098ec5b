import { checkPeerIp } from './peer-rules';

describe('checkPeerIp', () => {
  it.each(['203.0.113.7', '8.8.8.8', '1.1.1.1', '223.255.255.254', '0.0.0.0'])('accepts %s', (ip) => {
    expect(checkPeerIp(ip)).toEqual([]);
  });

  it('accepts 0.0.0.0 as "any peer address"', () => {
    expect(checkPeerIp('0.0.0.0')).toHaveLength(0);
  });

  it.each([
    ['127.0.0.1', 'not_loopback', 'loopback'],
    ['127.10.20.30', 'not_loopback', 'loopback'],
    ['224.0.0.1', 'not_multicast', 'multicast'],
    ['239.1.1.1', 'not_multicast', 'multicast'],
    ['255.255.255.255', 'not_broadcast', 'broadcast'],
    ['1.2.3', 'ipv4', 'IPv4 address'],
    ['1.2.3.256', 'ipv4', 'IPv4 address'],
    ['01.2.3.4', 'ipv4', 'IPv4 address'],
    [' 1.2.3.4', 'ipv4', 'IPv4 address'],
    ['vpn.example.com', 'ipv4', 'IPv4 address'],
    ['203.0.113.0/24', 'ipv4', 'IPv4 address'],
    ['', 'ipv4', 'IPv4 address'],
  ])('rejects %p with rule %s', (ip, rule, explanation) => {
    const violations = checkPeerIp(ip);
    expect(violations).toEqual([expect.objectContaining({ field: 'ipAddress', rule, value: ip })]);
    expect(violations[0].message).toContain(explanation);
    expect(violations[0].message).toMatch(/^ipAddress /);
  });

  it.each([undefined, null, 3405803783, ['1.2.3.4'], { ip: '1.2.3.4' }])('rejects the non-string %p with rule ipv4', (ip) => {
    expect(checkPeerIp(ip)).toEqual([expect.objectContaining({ field: 'ipAddress', rule: 'ipv4', value: ip })]);
  });

  it('uses the field name it is given', () => {
    expect(checkPeerIp('127.0.0.1', 'peer.ip')[0]).toMatchObject({ field: 'peer.ip' });
  });
});
