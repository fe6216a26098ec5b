import { desiredRoutes, routeVersion, RoutingTunnel } from './desired-routes';

const subnets = [
  { id: 's1', cidr: '10.1.1.0/24' },
  { id: 's2', cidr: '10.1.2.0/24' },
  { id: 's3', cidr: '10.1.3.0/24' },
];
const now = new Date('2026-11-22T00:00:00Z');
const HOLD = 60_000;

function tunnel(over: Partial<RoutingTunnel> = {}): RoutingTunnel {
  return {
    id: 'vpntnl-a',
    gatewayId: 'gw1',
    gatewaySubnetId: 's1',
    gatewayPrivateIp: '10.1.1.254',
    localSubnetIds: ['s1'],
    remoteCidrs: ['172.16.1.0/24'],
    connectionState: 'connected',
    resourceState: 'running',
    disconnectedAt: null,
    ...over,
  };
}

describe('desiredRoutes', () => {
  it("an instance of a local subnet on the gateway's own subnet routes every remote CIDR via the gateway", () => {
    const r = desiredRoutes({ kind: 'instance', subnetId: 's1' }, [tunnel({ remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'] })], subnets, now, HOLD);
    expect(r.routes).toEqual([
      { destination: '172.16.1.0/24', via: '10.1.1.254' },
      { destination: '172.16.2.0/24', via: '10.1.1.254' },
    ]);
    expect(r.tunnelIds).toEqual(['vpntnl-a']);
  });

  it('instances of subnets the tunnel does not list get nothing', () => {
    expect(desiredRoutes({ kind: 'instance', subnetId: 's3' }, [tunnel()], subnets, now, HOLD).routes).toEqual([]);
  });

  it('an instance of another local subnet routes via its subnet router; the VPC router carries it on to the gateway', () => {
    const t = tunnel({ localSubnetIds: ['s1', 's2'] });
    expect(desiredRoutes({ kind: 'instance', subnetId: 's2' }, [t], subnets, now, HOLD).routes).toEqual([{ destination: '172.16.1.0/24', via: '10.1.2.1' }]);
    expect(desiredRoutes({ kind: 'vpc_router' }, [t], subnets, now, HOLD).routes).toEqual([{ destination: '172.16.1.0/24', via: '10.1.1.254' }]);
    // A tunnel serving only the gateway's own subnet needs nothing from the VPC router.
    expect(desiredRoutes({ kind: 'vpc_router' }, [tunnel()], subnets, now, HOLD).routes).toEqual([]);
  });

  it.each(['connecting', 'phase1_failed', 'phase2_failed'])('a tunnel that was never connected (%s) contributes nothing', (state) => {
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [tunnel({ connectionState: state })], subnets, now, HOLD).routes).toEqual([]);
  });

  it('keeps routes through a short outage (hold-down) and withdraws them after it', () => {
    const blip = tunnel({ connectionState: 'connecting', disconnectedAt: new Date(now.getTime() - 10_000) });
    const held = desiredRoutes({ kind: 'instance', subnetId: 's1' }, [blip], subnets, now, HOLD);
    expect(held.routes).toHaveLength(1);
    expect(held.holdDownEndsAt).toEqual(new Date(now.getTime() + 50_000));
    const gone = tunnel({ connectionState: 'phase1_failed', disconnectedAt: new Date(now.getTime() - HOLD) });
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [gone], subnets, now, HOLD).routes).toEqual([]);
  });

  it('one failing subnet pair keeps the routes of the pairs that are up, per local subnet, after the hold-down', () => {
    const pairStates = [
      { local: '10.1.1.0/24', remote: '172.16.1.0/24', up: true },
      { local: '10.1.1.0/24', remote: '172.16.2.0/24', up: false },
      { local: '10.1.2.0/24', remote: '172.16.1.0/24', up: false },
      { local: '10.1.2.0/24', remote: '172.16.2.0/24', up: true },
    ];
    const partial = tunnel({
      localSubnetIds: ['s1', 's2'],
      remoteCidrs: ['172.16.1.0/24', '172.16.2.0/24'],
      connectionState: 'phase2_failed',
      disconnectedAt: new Date(now.getTime() - HOLD),
      pairStates,
    });
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [partial], subnets, now, HOLD).routes).toEqual([
      { destination: '172.16.1.0/24', via: '10.1.1.254' },
    ]);
    expect(desiredRoutes({ kind: 'instance', subnetId: 's2' }, [partial], subnets, now, HOLD).routes).toEqual([
      { destination: '172.16.2.0/24', via: '10.1.2.1' },
    ]);
    expect(desiredRoutes({ kind: 'vpc_router' }, [partial], subnets, now, HOLD).routes).toEqual([{ destination: '172.16.2.0/24', via: '10.1.1.254' }]);
    // Within the hold-down every route stays; a deleted tunnel keeps none, whatever its pairs say.
    const blip = { ...partial, disconnectedAt: new Date(now.getTime() - 1000) };
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [blip], subnets, now, HOLD).routes).toHaveLength(2);
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [{ ...partial, resourceState: 'deleting' }], subnets, now, HOLD).routes).toEqual([]);
  });

  it('a tunnel being deleted loses its routes at once, even when connected', () => {
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [tunnel({ resourceState: 'deleting' })], subnets, now, HOLD).routes).toEqual([]);
  });

  it('a tunnel of an expired gateway loses its routes at once, without hold-down', () => {
    const justDown = tunnel({ resourceState: 'expired', connectionState: 'connecting', disconnectedAt: new Date(now.getTime() - 1000) });
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [justDown], subnets, now, HOLD).routes).toEqual([]);
    expect(desiredRoutes({ kind: 'instance', subnetId: 's1' }, [tunnel({ resourceState: 'expired' })], subnets, now, HOLD).routes).toEqual([]);
  });

  it('reports a destination claimed through two gateways and keeps one stable winner instead of flapping', () => {
    const a = tunnel({ id: 'vpntnl-a', localSubnetIds: ['s1', 's2'] });
    const b = tunnel({ id: 'vpntnl-b', gatewayId: 'gw2', gatewaySubnetId: 's3', gatewayPrivateIp: '10.1.3.254', localSubnetIds: ['s3', 's2'] });
    const r1 = desiredRoutes({ kind: 'vpc_router' }, [a, b], subnets, now, HOLD);
    const r2 = desiredRoutes({ kind: 'vpc_router' }, [b, a], subnets, now, HOLD);
    expect(r1.conflicts).toHaveLength(1);
    expect(r1.conflicts[0]).toMatchObject({ destination: '172.16.1.0/24', chosen: '10.1.1.254' });
    expect(r1.routes).toEqual(r2.routes);
  });

  it('the version depends on the set, not on its order', () => {
    const x = [
      { destination: 'a', via: '1' },
      { destination: 'b', via: '2' },
    ];
    expect(routeVersion(x)).toBe(routeVersion([...x].reverse()));
    expect(routeVersion(x)).not.toBe(routeVersion([x[0]]));
    expect(routeVersion([{ destination: 'a', via: '1' }])).not.toBe(routeVersion([{ destination: 'a', via: '3' }]));
  });
});
