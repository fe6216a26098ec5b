import { diffRoutes, KernelRoute, normalizeDesired, normalizeDestination, parseIpRoutes } from './routes';

const own = (destination: string, via?: string, metric = 0): KernelRoute => ({ destination, via, metric });

describe('normalizeDestination', () => {
  it('canonicalises what ip prints and what the API may send', () => {
    expect(normalizeDestination('default')).toBe('0.0.0.0/0');
    expect(normalizeDestination('10.5.5.5')).toBe('10.5.5.5/32');
    expect(normalizeDestination('172.16.1.7/24')).toBe('172.16.1.0/24');
    expect(normalizeDestination('172.16.1.0/24')).toBe('172.16.1.0/24');
    expect(normalizeDestination('0.0.0.0/0')).toBe('0.0.0.0/0');
  });

  it('rejects what is not an IPv4 destination', () => {
    for (const bad of ['', 'fd00::/8', '1.2.3/24', '1.2.3.256/32', '1.2.3.4/33', '1.2.3.4/x', '1.2.3.4/24/1', '01.2.3.4/32']) {
      expect(normalizeDestination(bad)).toBeNull();
    }
  });
});

describe('parseIpRoutes', () => {
  it('reads ip -j output (gateway, metric, numeric protocol, default and host routes)', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '10.99.0.2', dev: 'd0', protocol: '201', flags: [] },
      { dst: '10.5.5.5', gateway: '10.99.0.2', dev: 'd0', flags: [] },
      { dst: '10.99.0.0/24', dev: 'd0', protocol: '2', scope: '253', prefsrc: '10.99.0.1', flags: [] },
      { dst: '172.16.1.0/24', gateway: '10.99.0.3', dev: 'd0', protocol: '201', metric: 5, flags: [] },
    ]);
    expect(parseIpRoutes(json)).toEqual([
      { destination: '0.0.0.0/0', via: '10.99.0.2', dev: 'd0', metric: 0, protocol: '201' },
      { destination: '10.5.5.5/32', via: '10.99.0.2', dev: 'd0', metric: 0, protocol: undefined },
      { destination: '10.99.0.0/24', via: undefined, dev: 'd0', metric: 0, protocol: '2' },
      { destination: '172.16.1.0/24', via: '10.99.0.3', dev: 'd0', metric: 5, protocol: '201' },
    ]);
  });

  it('accepts empty output and refuses what is not an array', () => {
    expect(parseIpRoutes('')).toEqual([]);
    expect(parseIpRoutes('[]\n')).toEqual([]);
    expect(() => parseIpRoutes('{}')).toThrow('expected a JSON array');
    expect(() => parseIpRoutes('not json')).toThrow();
  });

  it('skips entries it cannot place (IPv6, no dst)', () => {
    expect(parseIpRoutes(JSON.stringify([{ dst: 'fd00::/8' }, { gateway: '1.2.3.4' }, null]))).toEqual([]);
  });
});

describe('normalizeDesired', () => {
  it('normalises, drops invalid entries and keeps the first of duplicate destinations', () => {
    const r = normalizeDesired([
      { destination: '172.16.1.0/24', via: '10.1.1.254' },
      { destination: '172.16.1.9/24', via: '10.1.1.253' },
      { destination: 'fd00::/8', via: '10.1.1.254' },
      { destination: '172.16.2.0/24', via: 'gw' },
      { destination: '172.16.3.3', via: '10.1.1.254' },
    ]);
    expect(r.routes).toEqual([
      { destination: '172.16.1.0/24', via: '10.1.1.254' },
      { destination: '172.16.3.3/32', via: '10.1.1.254' },
    ]);
    expect(r.errors).toHaveLength(3);
    expect(r.errors[0]).toMatch(/duplicate destination 172.16.1.0\/24/);
  });
});

describe('diffRoutes', () => {
  const desired = [
    { destination: '172.16.1.0/24', via: '10.1.1.254' },
    { destination: '172.16.2.0/24', via: '10.1.1.254' },
  ];

  it('adds what is missing and changes what points elsewhere', () => {
    const d = diffRoutes(desired, [own('172.16.2.0/24', '10.1.1.1')]);
    expect(d.replace).toEqual(desired);
    expect(d.remove).toEqual([]);
  });

  it('is empty when the owned routes already match', () => {
    const d = diffRoutes(desired, [own('172.16.1.0/24', '10.1.1.254'), own('172.16.2.0/24', '10.1.1.254')]);
    expect(d).toEqual({ replace: [], remove: [], conflicts: [] });
  });

  it('removes owned routes no longer desired, and leftovers at another metric', () => {
    const d = diffRoutes(desired.slice(0, 1), [own('172.16.1.0/24', '10.1.1.254'), own('172.16.1.0/24', '10.1.1.9', 7), own('172.16.9.0/24', '10.1.1.254')]);
    expect(d.replace).toEqual([]);
    expect(d.remove).toEqual([
      { destination: '172.16.1.0/24', metric: 7 },
      { destination: '172.16.9.0/24', metric: 0 },
    ]);
  });

  it('never takes over a destination another protocol holds at metric 0, and never lists foreign routes for removal', () => {
    const foreign: KernelRoute[] = [
      { destination: '172.16.2.0/24', via: '10.1.1.7', metric: 0, protocol: '4' },
      { destination: '172.16.1.0/24', via: '10.1.1.8', metric: 100, protocol: '4' }, // another metric: no clash
      { destination: '0.0.0.0/0', via: '10.1.1.1', metric: 0, protocol: '4' },
    ];
    const d = diffRoutes(desired, [], foreign);
    expect(d.replace).toEqual([desired[0]]);
    expect(d.conflicts).toEqual([{ route: desired[1], protocol: '4' }]);
    expect(d.remove).toEqual([]);
  });

  it('accepts a foreign route that already points where we would (a route added by hand)', () => {
    const foreign: KernelRoute[] = [{ destination: '172.16.2.0/24', via: '10.1.1.254', metric: 0, protocol: '3' }];
    expect(diffRoutes(desired, [], foreign)).toEqual({ replace: [desired[0]], remove: [], conflicts: [] });
  });

  it('empties everything it owns when nothing is desired', () => {
    const d = diffRoutes([], [own('172.16.1.0/24', '10.1.1.254'), own('0.0.0.0/0', '10.1.1.254')]);
    expect(d.remove.map((r) => r.destination)).toEqual(['172.16.1.0/24', '0.0.0.0/0']);
  });
});
