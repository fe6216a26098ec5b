import { PacketType } from './codec';
import { ViciCommands } from './commands';
import { ViciCommandError, ViciUnknownCommandError } from './errors';
import type { ViciSection } from './message';
import { ViciSession } from './session';
import { FakeViciServer } from './testing/fake-vici-server';

let fake: FakeViciServer;
let session: ViciSession;
let vici: ViciCommands;
let debug: string[];

beforeEach(async () => {
  fake = await FakeViciServer.start();
  debug = [];
  session = new ViciSession({ socketPath: fake.socketPath, timeoutMs: 2000, logger: { debug: (m) => debug.push(m) } });
  vici = new ViciCommands(session);
});
afterEach(async () => {
  await session.close();
  await fake.close();
});

/** The message of the last CMD_REQUEST named `command`. */
function sent(command: string): ViciSection {
  const hits = fake.received.flatMap(({ packet }) => (packet.type === PacketType.CMD_REQUEST && packet.name === command ? [packet.message] : []));
  if (hits.length === 0) throw new Error(`${command} was not sent`);
  return hits[hits.length - 1];
}

const controlLog = (msg: string, level = '1'): ViciSection => ({ group: 'IKE', level, 'ikesa-name': 'site', 'ikesa-uniqueid': '3', msg });

describe('ViciCommands', () => {
  it('version returns the typed fields', async () => {
    await expect(vici.version()).resolves.toEqual({ daemon: 'charon', version: '5.9.8', sysname: 'Linux', release: 'test', machine: 'x86_64' });
  });

  it('loadConn wraps the config under its name; both call forms send the same message', async () => {
    fake.commands.set('load-conn', (c) => c.respond({ success: 'yes' }));
    const conn: ViciSection = { version: '2', local_addrs: ['192.0.2.1'], children: { net: { local_ts: ['10.0.0.0/24'] } } };
    await vici.loadConn('site', conn);
    expect(sent('load-conn')).toEqual({ site: conn });
    await vici.loadConn({ other: conn });
    expect(sent('load-conn')).toEqual({ other: conn });
  });

  it('a state-changing command answering success=no throws ViciCommandError with errmsg', async () => {
    fake.commands.set('load-conn', (c) => c.respond({ success: 'no', errmsg: 'unknown option: bogus, config discarded' }));
    const err = await vici.loadConn('x', { bogus: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ViciCommandError);
    expect(err).toMatchObject({ command: 'load-conn', errmsg: 'unknown option: bogus, config discarded' });
    fake.commands.set('unload-conn', (c) => c.respond({ success: 'no' }));
    await expect(vici.unloadConn('x')).rejects.toMatchObject({ errmsg: '' });
    expect(sent('unload-conn')).toEqual({ name: 'x' });
  });

  it('loadShared sends the secret to charon but never to the logger', async () => {
    fake.commands.set('load-shared', (c) => c.respond({ success: 'yes' }));
    fake.commands.set('unload-shared', (c) => c.respond({ success: 'yes' }));
    await vici.loadShared({ id: 'psk-1', type: 'IKE', data: 'hunter2-secret', owners: ['192.0.2.1', '198.51.100.2'] });
    expect(sent('load-shared')).toEqual({ id: 'psk-1', type: 'IKE', data: 'hunter2-secret', owners: ['192.0.2.1', '198.51.100.2'] });
    await vici.unloadShared('psk-1');
    expect(sent('unload-shared')).toEqual({ id: 'psk-1' });
    expect(debug.some((line) => line.includes('load-shared'))).toBe(true);
    expect(debug.join('\n')).not.toContain('hunter2');
  });

  it('initiate returns success=false with errmsg and the control-log lines instead of throwing', async () => {
    fake.commands.set('initiate', (c) => {
      c.event('control-log', controlLog('initiating IKE_SA site[3] to 198.51.100.2', '0'));
      c.event('ike-updown', { unrelated: 'yes' });
      c.event('control-log', controlLog('establishing IKE_SA failed, peer not responding'));
      c.event('control-log', { group: 'CFG', level: '1', msg: 'no IKE_SA' });
      c.respond({ success: 'no', errmsg: "establishing CHILD_SA 'net' failed" });
    });
    const streamed: string[] = [];
    const result = await vici.initiate({ child: 'net', ike: 'site', timeout: 1000, initLimits: false, loglevel: 2, onLog: (l) => streamed.push(l.msg) });
    expect(sent('initiate')).toEqual({ child: 'net', ike: 'site', timeout: '1000', 'init-limits': 'no', loglevel: '2' });
    expect(result.success).toBe(false);
    expect(result.errmsg).toBe("establishing CHILD_SA 'net' failed");
    expect(result.log).toEqual([
      { group: 'IKE', level: 0, ikesaName: 'site', ikesaUniqueid: '3', msg: 'initiating IKE_SA site[3] to 198.51.100.2' },
      { group: 'IKE', level: 1, ikesaName: 'site', ikesaUniqueid: '3', msg: 'establishing IKE_SA failed, peer not responding' },
      { group: 'CFG', level: 1, ikesaName: undefined, ikesaUniqueid: undefined, msg: 'no IKE_SA' },
    ]);
    expect(streamed).toEqual(result.log.map((l) => l.msg));
    // control-log was registered for the call only
    expect(fake.clients[0].registered.size).toBe(0);
  });

  it('initiate success has no errmsg; a protocol-level failure throws', async () => {
    fake.commands.set('initiate', (c) => c.respond({ success: 'yes' }));
    const ok = await vici.initiate({ child: 'net' });
    expect(ok).toMatchObject({ success: true, log: [] });
    expect('errmsg' in ok).toBe(false);
    fake.commands.delete('initiate');
    await expect(vici.initiate({ child: 'net' })).rejects.toBeInstanceOf(ViciUnknownCommandError);
  });

  it('terminate encodes ids and force, and returns the same result shape', async () => {
    fake.commands.set('terminate', (c) => {
      c.event('control-log', controlLog('deleting IKE_SA site[3]'));
      c.respond({ success: 'yes', matches: '1', terminated: '1' });
    });
    const result = await vici.terminate({ ikeId: 3, force: true, timeout: 500 });
    expect(sent('terminate')).toEqual({ 'ike-id': '3', force: 'yes', timeout: '500' });
    expect(result).toMatchObject({ success: true, log: [{ msg: 'deleting IKE_SA site[3]' }], response: { matches: '1' } });
  });

  it('listSas passes filters and flattens one entry per IKE_SA with its children', async () => {
    const child = { name: 'net', uniqueid: '7', state: 'INSTALLED', 'local-ts': ['198.51.100.0/26'], 'remote-ts': ['198.51.100.64/26'] };
    fake.commands.set('list-sas', (c) => {
      c.event('list-sa', { site: { uniqueid: '3', state: 'ESTABLISHED', 'child-sas': { 'net-7': child } } });
      c.event('list-sa', { other: { uniqueid: '4', state: 'CONNECTING', 'child-sas': {} } });
      c.respond({});
    });
    const sas = await vici.listSas({ noblock: true, ike: 'site', ikeId: 3, child: 'net', childId: 7 });
    expect(sent('list-sas')).toEqual({ noblock: 'yes', ike: 'site', 'ike-id': '3', child: 'net', 'child-id': '7' });
    expect(sas.map((s) => [s.name, s.sa.state, s.children.map((c) => c.state)])).toEqual([
      ['site', 'ESTABLISHED', ['INSTALLED']],
      ['other', 'CONNECTING', []],
    ]);
    expect(sas[0].children[0]).toEqual(child);
  });

  it('listConns and getConns', async () => {
    fake.commands.set('list-conns', (c) => {
      c.event('list-conn', { site: { version: 'IKEv2', children: { net: { mode: 'TUNNEL' } } } });
      c.respond({});
    });
    fake.commands.set('get-conns', (c) => c.respond({ conns: ['site', 'other'] }));
    await expect(vici.listConns('site')).resolves.toEqual([{ name: 'site', conn: { version: 'IKEv2', children: { net: { mode: 'TUNNEL' } } } }]);
    expect(sent('list-conns')).toEqual({ ike: 'site' });
    await expect(vici.getConns()).resolves.toEqual(['site', 'other']);
  });

  it('stats passes the reply through', async () => {
    fake.commands.set('stats', (c) => c.respond({ uptime: { running: '1 second' }, ikesas: { total: '0', 'half-open': '0' }, plugins: ['vici'] }));
    await expect(vici.stats()).resolves.toMatchObject({ ikesas: { total: '0' }, plugins: ['vici'] });
  });
});
