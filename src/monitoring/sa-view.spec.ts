import type { ChildSaInfo, IkeSaEntry } from '../vici';
import { childCounters, tunnelSaViews } from './sa-view';

const P = 'ipsvpn_';

function child(name: string, uniqueid: string, state: string, extra: Record<string, string> = {}): ChildSaInfo {
  return { name, uniqueid, reqid: '1', state, mode: 'TUNNEL', protocol: 'ESP', 'local-ts': [], 'remote-ts': [], ...extra } as ChildSaInfo;
}

const counters = (spi: string, bytes: number, age = 50) => ({
  'spi-in': spi,
  'spi-out': `${spi}o`,
  'bytes-in': String(bytes),
  'packets-in': String(bytes / 100),
  'bytes-out': String(bytes * 2),
  'packets-out': String(bytes / 50),
  'install-time': String(age),
});

function ike(tunnel: string, state: string, children: ChildSaInfo[], uniqueid = '1'): IkeSaEntry {
  const sa = { uniqueid, version: '2', state, 'local-host': '198.51.100.2', 'remote-host': '203.0.113.10', 'child-sas': {} } as IkeSaEntry['sa'];
  return { name: `${P}${tunnel}`, sa, children };
}

describe('tunnelSaViews', () => {
  it('an established tunnel with its child installed: healthy, counters keyed by unique id and SPIs', () => {
    const views = tunnelSaViews([ike('t1', 'ESTABLISHED', [child('ipsvpn_t1', '3', 'INSTALLED', counters('c1', 1000))])], P, new Map([['t1', ['ipsvpn_t1']]]));
    expect(views.get('t1')).toEqual({
      health: 1,
      ikeState: 'ESTABLISHED',
      childState: 'INSTALLED',
      sas: [{ key: '3:c1:c1o', installedSecondsAgo: 50, bytesIn: 1000, bytesOut: 2000, packetsIn: 10, packetsOut: 20 }],
    });
  });

  it('IKEv1 with one child per subnet pair: healthy only when every expected child is installed', () => {
    const entries = [ike('t2', 'ESTABLISHED', [child('t2-1', '4', 'INSTALLED', counters('a', 100)), child('t2-2', '5', 'INSTALLING')])];
    const v = tunnelSaViews(entries, P, new Map([['t2', ['t2-1', 't2-2']]])).get('t2')!;
    expect(v).toMatchObject({ health: 0, childState: 'INSTALLING', ikeState: 'ESTABLISHED' });
    expect(v.sas).toHaveLength(1); // no counters before INSTALLED
  });

  it('during a rekey both CHILD_SAs are listed with their counters (rates.ts counts each once)', () => {
    const entries = [
      ike('t3', 'ESTABLISHED', [child('ipsvpn_t3', '6', 'REKEYED', counters('old', 900)), child('ipsvpn_t3', '7', 'INSTALLED', counters('new', 10, 1))]),
    ];
    const v = tunnelSaViews(entries, P, new Map([['t3', ['ipsvpn_t3']]])).get('t3')!;
    expect(v.health).toBe(1);
    expect(v.sas.map((s) => s.key)).toEqual(['6:old:oldo', '7:new:newo']);
  });

  it('a tunnel without SAs is down with no states; connecting shows the IKE state; other connections are ignored', () => {
    const entries = [ike('t5', 'CONNECTING', []), { ...ike('x', 'ESTABLISHED', []), name: 'someone-else' }];
    const views = tunnelSaViews(
      entries,
      P,
      new Map([
        ['t4', ['ipsvpn_t4']],
        ['t5', ['ipsvpn_t5']],
      ]),
    );
    expect(views.get('t4')).toEqual({ health: 0, ikeState: null, childState: null, sas: [] });
    expect(views.get('t5')).toMatchObject({ health: 0, ikeState: 'CONNECTING', childState: null });
    expect([...views.keys()].sort()).toEqual(['t4', 't5']);
  });

  it('a child installed under an IKE_SA that is not established does not count as healthy; the best IKE state is shown', () => {
    const entries = [ike('t6', 'DELETING', [child('ipsvpn_t6', '8', 'INSTALLED', counters('d', 5))], '2'), ike('t6', 'CONNECTING', [], '3')];
    expect(tunnelSaViews(entries, P, new Map([['t6', ['ipsvpn_t6']]])).get('t6')).toMatchObject({ health: 0, ikeState: 'CONNECTING' });
  });

  it('counters need numeric values', () => {
    expect(childCounters(child('c', '1', 'INSTALLED', { 'bytes-in': 'x', 'bytes-out': '1' }))).toBeNull();
    expect(childCounters(child('c', '1', 'INSTALLED', { 'bytes-in': '1', 'bytes-out': '2' }))).toMatchObject({ installedSecondsAgo: null, packetsIn: 0 });
  });
});
