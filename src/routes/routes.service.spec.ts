// The long poll's waiting logic without a database: vpcRouting is stubbed, changes are announced
// in-process (no Redis: the listener is never started, the publisher connects lazily).
import { AgentTarget } from './agent-target.entity';
import { RouteChangeListener } from './route-notifier';
import { BURST_READ_INTERVAL_MS, RoutesService, VpcRouting } from './routes.service';

const subnets = [{ id: 's1', cidr: '10.1.1.0/24' }];

function routing(remote: string | null): VpcRouting {
  return {
    subnets,
    tunnels: remote
      ? [
          {
            id: 't1',
            gatewayId: 'g1',
            gatewaySubnetId: 's1',
            gatewayPrivateIp: '10.1.1.254',
            localSubnetIds: ['s1'],
            remoteCidrs: [remote],
            connectionState: 'connected',
            resourceState: 'running',
            disconnectedAt: null,
          },
        ]
      : [],
  };
}

const target = { id: 'at-1', kind: 'instance', vpcId: 'vpc-1', subnetId: 's1' } as AgentTarget;
const db = { getRepository: () => ({ update: async () => ({ affected: 1 }) }) };

let service: RoutesService;
let listener: RouteChangeListener;
beforeEach(() => {
  service = new RoutesService(db as never, { redisUrl: 'redis://127.0.0.1:1/0' } as never);
  listener = (service as unknown as { listener: RouteChangeListener }).listener;
});
afterEach(() => service.onModuleDestroy());

describe('RouteChangeListener', () => {
  it('counts changes per VPC; a wait since an older generation ends at once', async () => {
    const l = new RouteChangeListener('redis://127.0.0.1:1/0');
    const g = l.generation('vpc-1');
    l.notify('vpc-1');
    expect(l.generation('vpc-1')).toBe(g + 1);
    expect(l.generation('vpc-2')).toBe(0);
    await expect(l.waitForChange('vpc-1', 10_000, g)).resolves.toBe('changed');
    const waiting = l.waitForChange('vpc-1', 10_000, g + 1);
    l.notify('vpc-2'); // another VPC: still waiting
    l.notify('vpc-1');
    await expect(waiting).resolves.toBe('changed');
    await expect(l.waitForChange('vpc-1', 20, l.generation('vpc-1'))).resolves.toBe('timeout');
  });
});

describe('RoutesService.poll', () => {
  it('a change that lands while the routes are being read is not missed', async () => {
    const current = service.routesOf(target, routing(null));
    let reads = 0;
    jest.spyOn(service, 'vpcRouting').mockImplementation(async () => {
      reads++;
      if (reads === 1) {
        listener.notify('vpc-1'); // the tunnel connected while this read ran (it saw the old state)
        return routing(null);
      }
      return routing('172.16.1.0/24');
    });
    const started = Date.now();
    const r = await service.poll(target, current.version, 5, '1.0.0');
    expect(Date.now() - started).toBeLessThan(2000); // not the 5 s wait
    expect(r.routes).toEqual([{ destination: '172.16.1.0/24', via: '10.1.1.254' }]);
  });

  it('polls woken by one change share one read of the VPC; a later change gets its own', async () => {
    const before = service.routesOf(target, routing(null));
    let state = routing(null);
    const read = jest.spyOn(service, 'vpcRouting').mockImplementation(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return state;
    });
    const polls = Array.from({ length: 20 }, () => service.poll(target, before.version, 5, undefined));
    await new Promise((r) => setTimeout(r, 100)); // all parked
    const parked = read.mock.calls.length;
    state = routing('172.16.1.0/24');
    listener.notify('vpc-1');
    const answers = await Promise.all(polls);
    expect(answers.every((a) => a.routes.length === 1)).toBe(true);
    expect(read.mock.calls.length - parked).toBe(1);
    // A new poll after another change reads again.
    state = routing('172.16.2.0/24');
    listener.notify('vpc-1');
    expect((await service.poll(target, undefined, 0, undefined)).routes[0].destination).toBe('172.16.2.0/24');
    expect(read.mock.calls.length - parked).toBe(2);
  });

  it('a burst of changes is read at most once per BURST_READ_INTERVAL_MS, the first change at once', async () => {
    const before = service.routesOf(target, routing(null));
    let state = routing(null);
    const started: number[] = [];
    jest.spyOn(service, 'vpcRouting').mockImplementation(async () => {
      started.push(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      return state;
    });
    await service.poll(target, undefined, 0, undefined); // the VPC read once, a while ago
    await new Promise((r) => setTimeout(r, BURST_READ_INTERVAL_MS + 20));
    const reads = started.length;
    // A change after a quiet spell: read at once.
    const first = service.poll(target, before.version, 5, undefined);
    await new Promise((r) => setTimeout(r, 10)); // parked
    state = routing('172.16.1.0/24');
    const changedAt = Date.now();
    listener.notify('vpc-1');
    expect((await first).routes).toHaveLength(1);
    expect(started.length - reads).toBe(1);
    expect(started[started.length - 1] - changedAt).toBeLessThan(BURST_READ_INTERVAL_MS / 2);
    // Ten more changes within 20 ms, each waking polls: one read more, not ten, and it sees the last.
    const polls: Promise<{ routes: unknown[] }>[] = [];
    for (let i = 2; i <= 11; i++) {
      state = routing(`172.16.${i}.0/24`);
      listener.notify('vpc-1');
      polls.push(service.poll(target, undefined, 0, undefined));
      await new Promise((r) => setTimeout(r, 2));
    }
    const answers = await Promise.all(polls);
    expect(started.length - reads).toBe(2);
    expect(started[started.length - 1] - started[started.length - 2]).toBeGreaterThanOrEqual(BURST_READ_INTERVAL_MS - 1);
    expect(answers.every((a) => JSON.stringify(a.routes) === JSON.stringify([{ destination: '172.16.11.0/24', via: '10.1.1.254' }]))).toBe(true);
  });
});
