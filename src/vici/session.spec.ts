import { PacketType } from './codec';
import { ViciConnectionError, ViciProtocolError, ViciTimeoutError, ViciUnknownCommandError, ViciUnknownEventError } from './errors';
import type { ViciSection } from './message';
import { ViciSession } from './session';
import { FakeViciServer } from './testing/fake-vici-server';

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

let fake: FakeViciServer;
let session: ViciSession;

beforeEach(async () => {
  fake = await FakeViciServer.start();
  session = new ViciSession({ socketPath: fake.socketPath, timeoutMs: 2000, reconnect: { initialDelayMs: 10, maxDelayMs: 40 } });
});

afterEach(async () => {
  await session.close();
  await fake.close();
});

describe('ViciSession commands', () => {
  it('connects lazily and answers a command', async () => {
    expect(session.state).toBe('idle');
    await expect(session.request('version')).resolves.toMatchObject({ daemon: 'charon', version: '5.9.8' });
    expect(session.state).toBe('connected');
    expect(fake.clients).toHaveLength(1);
  });

  it('queues commands FIFO with one outstanding at a time', async () => {
    const held: Array<() => void> = [];
    fake.commands.set('slow', (c, m) => held.push(() => c.respond({ echo: m.n as string })));
    const results = [1, 2, 3].map((n) => session.request('slow', { n: String(n) }));
    await tick(50);
    expect(fake.requests).toEqual(['slow']); // the 2nd is not sent before the 1st is answered
    while (fake.requests.length < 3 || held.length > 0) {
      held.shift()?.();
      await tick(10);
    }
    expect(fake.requests).toEqual(['slow', 'slow', 'slow']);
    expect(fake.received.map((r) => (r.packet as { message: ViciSection }).message)).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }]);
    await expect(Promise.all(results)).resolves.toEqual([{ echo: '1' }, { echo: '2' }, { echo: '3' }]);
  });

  it('a message charon could not parse is rejected before sending and costs no reconnect', async () => {
    await session.request('version');
    await expect(session.request('load-conn', { x: 'v'.repeat(70_000) })).rejects.toMatchObject({ code: 'value_too_long' });
    await expect(session.request('ünicode')).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(session.streamedRequest('list-sas', 'x'.repeat(300))).rejects.toMatchObject({ code: 'name_too_long' });
    await expect(session.subscribe(['ike-updown', 'ü'], () => undefined)).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.requests).toEqual(['version', 'version']);
    expect(fake.clients).toHaveLength(1);
  });

  it('the message is captured when the command is issued', async () => {
    fake.commands.set('echo', (c, m) => c.respond(m));
    const message: ViciSection = { a: '1' };
    const reply = session.request('echo', message);
    message.a = 'changed';
    await expect(reply).resolves.toEqual({ a: '1' });
  });

  it('CMD_UNKNOWN gives ViciUnknownCommandError, and the session carries on', async () => {
    await expect(session.request('no-such-command')).rejects.toBeInstanceOf(ViciUnknownCommandError);
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.clients).toHaveLength(1);
  });

  it('an in-flight timeout fails that command, resets the connection, and the queue goes on', async () => {
    fake.commands.set('hang', () => undefined);
    const hung = session.request('hang', {}, { timeoutMs: 100 });
    const next = session.request('version');
    const err = await hung.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ViciTimeoutError);
    expect(err).toMatchObject({ command: 'hang', phase: 'in_flight', timeoutMs: 100 });
    await expect(next).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.clients).toHaveLength(2); // the late reply can never be mistaken for version's
    expect(fake.clients[0].socket.destroyed || fake.clients[0].socket.readableEnded).toBe(true);
  });

  it('timeoutMs: Infinity means no deadline (not the 1 ms setTimeout would make of it)', async () => {
    let release: () => void = () => undefined;
    fake.commands.set('slow', (c) => (release = () => c.respond({ done: 'yes' })));
    const slow = session.request('slow', {}, { timeoutMs: Infinity });
    await tick(50);
    release();
    await expect(slow).resolves.toEqual({ done: 'yes' });
  });

  it('an oversized frame header fails the command at once, without waiting for the body', async () => {
    fake.commands.set('huge', (c) => c.sendRaw(Buffer.from([0, 0x10, 0, 0]))); // announces 1 MiB, sends nothing more
    const started = Date.now();
    await expect(session.request('huge')).rejects.toMatchObject({ code: 'oversized' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a queued command times out without being sent and without a reset', async () => {
    let release: () => void = () => undefined;
    fake.commands.set('slow', (c) => (release = () => c.respond({ done: 'yes' })));
    const slow = session.request('slow', {}, { timeoutMs: 1000 });
    const queued = session.request('version', {}, { timeoutMs: 50 });
    await expect(queued).rejects.toMatchObject({ phase: 'queued', command: 'version' });
    release();
    await expect(slow).resolves.toEqual({ done: 'yes' });
    expect(fake.requests).toEqual(['slow']);
    expect(fake.clients).toHaveLength(1);
  });

  it('connection loss fails the pending and the queued commands with ViciConnectionError', async () => {
    fake.commands.set('die', (c) => c.destroy());
    const all = [session.request('die'), session.request('version'), session.request('version')];
    const results = await Promise.allSettled(all);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ViciConnectionError);
    }
    expect(fake.requests).toEqual(['die']);
    // and the session recovers by itself
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
  });

  it('garbage from charon fails the command with ViciProtocolError and the next one runs on a new connection', async () => {
    fake.commands.set('garbage', (c) => c.sendRaw(Buffer.from([0, 0, 0, 2, 1, 9])));
    const err = await session.request('garbage').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ViciProtocolError);
    expect((err as ViciProtocolError).code).toBe('unknown_element');
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.clients).toHaveLength(2);
  });

  it('an unsolicited reply resets the connection; later commands still work', async () => {
    await session.request('version');
    const changes: string[] = [];
    session.onConnectionChange((c) => changes.push(c.state));
    fake.clients[0].respond({ stray: 'yes' });
    await tick(50);
    expect(changes[0]).toBe('disconnected');
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.clients).toHaveLength(2);
  });

  it('close() fails queued work, refuses new work and does not reconnect', async () => {
    fake.commands.set('hang', () => undefined);
    const pending = session.request('hang');
    const queued = session.request('version');
    await tick(20);
    await session.close();
    await expect(pending).rejects.toBeInstanceOf(ViciConnectionError);
    await expect(queued).rejects.toBeInstanceOf(ViciConnectionError);
    await expect(session.request('version')).rejects.toBeInstanceOf(ViciConnectionError);
    await tick(60);
    expect(fake.clients).toHaveLength(1);
    expect(session.state).toBe('closed');
  });

  it('without reconnect, a refused connection fails the command at once', async () => {
    await fake.stop();
    const s = new ViciSession({ socketPath: fake.socketPath, reconnect: false });
    await expect(s.request('version')).rejects.toBeInstanceOf(ViciConnectionError);
    await expect(s.connect()).rejects.toBeInstanceOf(ViciConnectionError);
    await s.close();
  });
});

describe('ViciSession streamed commands', () => {
  it('collects the stream, routes interleaved events elsewhere, and unregisters', async () => {
    const subscribed: Array<[string, ViciSection]> = [];
    await session.subscribe(['ike-updown'], (name, m) => subscribed.push([name, m]));
    // an event for the subscription races the EVENT_CONFIRM of the stream's registration
    fake.beforeConfirm = (c, event) => {
      if (event === 'list-sa') c.event('ike-updown', { early: 'yes' });
    };
    fake.commands.set('list-sas', (c) => {
      c.event('list-sa', { a: { state: 'ESTABLISHED' } });
      c.event('ike-updown', { up: 'yes' });
      c.event('list-sa', { b: { state: 'CONNECTING' } });
      c.respond({});
    });
    const seen: ViciSection[] = [];
    const result = await session.streamedRequest('list-sas', 'list-sa', { noblock: 'yes' }, { onEvent: (m) => seen.push(m) });
    expect(result.events).toEqual([{ a: { state: 'ESTABLISHED' } }, { b: { state: 'CONNECTING' } }]);
    expect(seen).toEqual(result.events);
    expect(subscribed).toEqual([
      ['ike-updown', { early: 'yes' }],
      ['ike-updown', { up: 'yes' }],
    ]);
    const types = fake.clients[0].received.map((p) => p.type);
    expect(types).toEqual([
      PacketType.EVENT_REGISTER, // ike-updown (subscription)
      PacketType.EVENT_REGISTER, // list-sa
      PacketType.CMD_REQUEST,
      PacketType.EVENT_UNREGISTER, // list-sa
    ]);
    expect(fake.clients[0].registered).toEqual(new Set(['ike-updown']));
  });

  it('an unknown stream event gives ViciUnknownEventError before the command is sent', async () => {
    fake.commands.set('list-things', (c) => c.respond({}));
    await expect(session.streamedRequest('list-things', 'list-thing')).rejects.toBeInstanceOf(ViciUnknownEventError);
    expect(fake.requests).toEqual([]);
  });

  it('an unknown streamed command still unregisters its event', async () => {
    await expect(session.streamedRequest('list-nothing', 'list-sa')).rejects.toBeInstanceOf(ViciUnknownCommandError);
    expect(fake.clients[0].received.map((p) => p.type)).toEqual([PacketType.EVENT_REGISTER, PacketType.CMD_REQUEST, PacketType.EVENT_UNREGISTER]);
    expect(fake.clients[0].registered.size).toBe(0);
  });

  it('a throwing onEvent callback does not desynchronise the stream', async () => {
    fake.commands.set('list-sas', (c) => {
      c.event('list-sa', { a: {} });
      c.respond({});
    });
    await expect(
      session.streamedRequest(
        'list-sas',
        'list-sa',
        {},
        {
          onEvent: () => {
            throw new Error('boom');
          },
        },
      ),
    ).rejects.toThrow('boom');
    await expect(session.request('version')).resolves.toHaveProperty('daemon', 'charon');
    expect(fake.clients).toHaveLength(1);
  });
});
