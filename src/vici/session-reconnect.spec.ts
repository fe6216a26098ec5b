import { PacketType } from './codec';
import { ViciUnknownEventError } from './errors';
import { ViciEventStream } from './event-stream';
import type { ViciSection } from './message';
import { ViciSession } from './session';
import type { ConnectionChange } from './session-types';
import { FakeViciServer } from './testing/fake-vici-server';

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await tick(5);
  }
}

let fake: FakeViciServer;
let open: Array<{ close(): Promise<void> }> = [];
// closed even when a test fails midway, or their reconnect timers would keep jest alive
const track = <T extends { close(): Promise<void> }>(x: T): T => (open.push(x), x);

beforeEach(async () => {
  fake = await FakeViciServer.start();
});
afterEach(async () => {
  await Promise.all(open.map((x) => x.close()));
  open = [];
  await fake.close();
});

describe('reconnect with back-off', () => {
  it('doubles the delay up to the cap, then reconnects when charon is back', async () => {
    const session = track(new ViciSession({ socketPath: fake.socketPath, reconnect: { initialDelayMs: 20, maxDelayMs: 80, factor: 2 } }));
    const changes: Array<ConnectionChange & { at: number }> = [];
    session.onConnectionChange((c) => changes.push({ ...c, at: Date.now() }));
    await session.connect();
    await fake.stop(); // charon goes away
    await until(() => changes.filter((c) => c.state === 'backoff').length >= 5);
    const backoffs = changes.filter((c) => c.state === 'backoff');
    expect(backoffs.slice(0, 5).map((c) => (c as { delayMs: number }).delayMs)).toEqual([20, 40, 80, 80, 80]);
    // the waits really happen: each attempt comes at least its delay after the previous one
    for (let i = 1; i < 5; i++) {
      expect(backoffs[i].at - backoffs[i - 1].at).toBeGreaterThanOrEqual((backoffs[i - 1] as { delayMs: number }).delayMs - 5);
    }
    await fake.listen();
    await until(() => changes.some((c) => c.state === 'connected' && c.reconnected));
    expect(changes[0]).toMatchObject({ state: 'connected', reconnected: false });
    expect(changes[1].state).toBe('disconnected');
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    // a successful connect resets the back-off
    await fake.stop();
    await until(() => changes.filter((c) => c.state === 'backoff').length >= 7);
    expect((changes.filter((c) => c.state === 'backoff')[6] as { delayMs: number }).delayMs).toBe(40);
    await session.close();
  });

  it('commands issued while charon is down wait for the reconnect (within their deadline)', async () => {
    const session = track(new ViciSession({ socketPath: fake.socketPath, reconnect: { initialDelayMs: 10, maxDelayMs: 20 } }));
    await session.connect();
    await fake.stop();
    await tick(30);
    const pending = session.request('version', {}, { timeoutMs: 2000 });
    await tick(50);
    await fake.listen();
    await expect(pending).resolves.toHaveProperty('version', '5.9.8');
    await session.close();
  });
});

describe('ViciEventStream', () => {
  const opts = (): { socketPath: string; reconnect: { initialDelayMs: number; maxDelayMs: number } } => ({
    socketPath: fake.socketPath,
    reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
  });

  it('delivers subscribed events and re-registers them after the connection drops', async () => {
    const stream = track(new ViciEventStream(opts()));
    const got: Array<[string, ViciSection]> = [];
    const sub = await stream.subscribe(['ike-updown', 'child-updown'], (name, m) => got.push([name, m]));
    expect(sub.events).toEqual(['ike-updown', 'child-updown']);
    fake.clients[0].event('ike-updown', { up: 'yes', site: { state: 'ESTABLISHED' } });
    fake.clients[0].event('log', { msg: 'not subscribed' });
    await until(() => got.length === 1);

    fake.clients[0].destroy();
    const second = await fake.waitForClients(2);
    await until(() => second.registered.size === 2);
    expect(second.received.map((p) => [p.type, (p as { name?: string }).name])).toEqual([
      [PacketType.EVENT_REGISTER, 'ike-updown'],
      [PacketType.EVENT_REGISTER, 'child-updown'],
    ]);
    second.event('child-updown', { site: { state: 'DELETING' } });
    await until(() => got.length === 2);
    expect(got).toEqual([
      ['ike-updown', { up: 'yes', site: { state: 'ESTABLISHED' } }],
      ['child-updown', { site: { state: 'DELETING' } }],
    ]);
    await stream.close();
  });

  it('re-registers after charon restarts, before any queued command', async () => {
    const session = track(new ViciSession(opts()));
    await session.subscribe(['ike-updown'], () => undefined);
    await fake.stop();
    await tick(30);
    const cmd = session.request('version');
    await fake.listen();
    await expect(cmd).resolves.toHaveProperty('daemon');
    const last = fake.clients[fake.clients.length - 1];
    expect(last.received.map((p) => p.type)).toEqual([PacketType.EVENT_REGISTER, PacketType.CMD_REQUEST]);
    await session.close();
  });

  it('an unknown event rejects the subscription, which is then not re-registered', async () => {
    const stream = track(new ViciEventStream(opts()));
    await expect(stream.subscribe(['ike-updown', 'no-such-event'], () => undefined)).rejects.toBeInstanceOf(ViciUnknownEventError);
    await stream.subscribe(['child-updown'], () => undefined);
    fake.clients[0].destroy();
    const second = await fake.waitForClients(2);
    await until(() => second.registered.size > 0);
    await tick(20);
    expect([...second.registered]).toEqual(['child-updown']);
    await stream.close();
  });

  it('unsubscribe unregisters names nobody else wants and stops delivery', async () => {
    const stream = track(new ViciEventStream(opts()));
    const a: string[] = [];
    const b: string[] = [];
    const subA = await stream.subscribe(['ike-updown', 'child-updown'], (n) => a.push(n));
    await stream.subscribe(['ike-updown'], (n) => b.push(n));
    await subA.unsubscribe();
    expect([...fake.clients[0].registered]).toEqual(['ike-updown']);
    fake.clients[0].event('ike-updown', {});
    await until(() => b.length === 1);
    expect(a).toEqual([]);
    await stream.close();
  });

  it('a throwing handler is reported and does not stop other handlers', async () => {
    const warnings: string[] = [];
    const stream = track(new ViciEventStream({ ...opts(), logger: { warn: (m) => warnings.push(m) } }));
    const got: string[] = [];
    await stream.subscribe(['ike-updown'], () => {
      throw new Error('handler bug');
    });
    await stream.subscribe(['ike-updown'], (n) => got.push(n));
    fake.clients[0].event('ike-updown', {});
    fake.clients[0].event('ike-updown', {});
    await until(() => got.length === 2);
    expect(warnings.some((w) => w.includes('handler bug'))).toBe(true);
    expect(fake.clients).toHaveLength(1);
    await stream.close();
  });
});
