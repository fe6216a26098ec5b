import { egressProblem, guardedLookup, urlHostProblem } from './webhook-egress';

describe('egressProblem', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.10.10', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1'])(
    'refuses %s unless private receivers are allowed',
    (ip) => {
      expect(egressProblem(ip, false)).toMatch(/private, loopback or link-local/);
      expect(egressProblem(ip, true)).toBeNull();
    },
  );

  it.each(['169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::', 'ff02::1', '::ffff:169.254.169.254'])('refuses %s always', (ip) => {
    expect(egressProblem(ip, true)).not.toBeNull();
    expect(egressProblem(ip, false)).not.toBeNull();
  });

  it.each(['203.0.113.7', '8.8.8.8', '2001:db8::1'])('allows the public address %s', (ip) => {
    expect(egressProblem(ip, false)).toBeNull();
  });
});

describe('urlHostProblem (at save time)', () => {
  it('refuses IP literals and localhost it would refuse at delivery, leaves names to delivery', () => {
    expect(urlHostProblem('http://127.0.0.1:9000/x', false)).not.toBeNull();
    expect(urlHostProblem('http://[::1]/x', false)).not.toBeNull();
    expect(urlHostProblem('http://localhost/x', false)).not.toBeNull();
    expect(urlHostProblem('http://169.254.169.254/latest', true)).not.toBeNull();
    expect(urlHostProblem('https://hooks.example.com/x', false)).toBeNull();
    expect(urlHostProblem('http://127.0.0.1:9000/x', true)).toBeNull();
  });
});

describe('guardedLookup', () => {
  it('refuses a name that resolves to a loopback address, and resolves it when allowed', async () => {
    const run = (allow: boolean) =>
      new Promise<unknown>((resolve) => guardedLookup(allow)('localhost', { family: 4 }, (err, address) => resolve(err ?? address)));
    expect(await run(false)).toMatchObject({ code: 'EGRESS_REFUSED' });
    expect(await run(true)).toBe('127.0.0.1');
  });
});
