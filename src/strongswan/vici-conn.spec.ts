import { ViciSection } from '../vici/message';
import { CASES, tunnel } from './__golden__/cases';
import { RenderError, assertRenderable, canInitiate, subnetPairs, timers } from './tunnel-model';
import { childNames, connName, renderLoadConn, renderLoadShared, sharedSecretId } from './vici-conn';

const conn = (s: ViciSection) => s[Object.keys(s)[0]] as ViciSection;
const children = (s: ViciSection) => conn(s).children as ViciSection;
const child = (s: ViciSection, name: string) => children(s)[name] as ViciSection;
const v1 = { version: 'v1', exchangeMode: 'main' } as const;

describe('renderLoadConn', () => {
  it('IKEv2 defaults: one conn named ipsvpn_<id>, one child with every subnet, rekeying not reauth', () => {
    const msg = renderLoadConn(tunnel({ remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] }));
    expect(Object.keys(msg)).toEqual(['ipsvpn_vpntnl-k3j9x2ab']);
    const c = conn(msg);
    expect(c).toMatchObject({ version: '2', local_addrs: ['198.51.100.10'], remote_addrs: ['203.0.113.20'], proposals: ['aes128-sha1-modp1024'] });
    expect(c).toMatchObject({ rekey_time: '85860s', over_time: '540s', rand_time: '540s', dpd_delay: '8s', keyingtries: '3' });
    expect(c).not.toHaveProperty('aggressive'); // IKEv1 only
    expect(c).not.toHaveProperty('dpd_timeout'); // IKEv1 only
    expect(c).not.toHaveProperty('reauth_time');
    expect(c.mobike).toBe('no'); // fixed gateway addresses: no address updates on route changes
    expect(c.local).toEqual({ auth: 'psk', id: '198.51.100.10' });
    expect(c.remote).toEqual({ auth: 'psk', id: '203.0.113.20' });
    expect(Object.keys(children(msg))).toEqual(['ipsvpn_vpntnl-k3j9x2ab']);
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({
      local_ts: ['10.0.192.0/20'],
      remote_ts: ['10.23.0.0/16', '10.25.0.0/16'],
      esp_proposals: ['aes128-sha1-modp1024'],
      mode: 'tunnel',
    });
  });

  it('IKEv1 with 2x2 subnets gives 4 children, one pair each, in deterministic order', () => {
    const t = tunnel({ ike: v1, localCidrs: ['10.0.192.0/20', '10.0.208.0/24'], remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] });
    const msg = renderLoadConn(t);
    const names = ['-1', '-2', '-3', '-4'].map((n) => `ipsvpn_vpntnl-k3j9x2ab${n}`);
    expect(Object.keys(children(msg))).toEqual(names);
    expect(childNames(t)).toEqual(names);
    const pairs = names.map((n) => [child(msg, n).local_ts, child(msg, n).remote_ts]);
    expect(pairs).toEqual([
      [['10.0.192.0/20'], ['10.23.0.0/16']],
      [['10.0.192.0/20'], ['10.25.0.0/16']],
      [['10.0.208.0/24'], ['10.23.0.0/16']],
      [['10.0.208.0/24'], ['10.25.0.0/16']],
    ]);
  });

  it('IKEv1: version 1, aggressive yes/no, reauth_time instead of rekey_time, dpd_timeout', () => {
    const main = conn(renderLoadConn(tunnel({ ike: v1 })));
    expect(main).toMatchObject({ version: '1', aggressive: 'no', reauth_time: '85860s', over_time: '540s', dpd_timeout: '13s' });
    expect(main).not.toHaveProperty('rekey_time');
    expect(conn(renderLoadConn(tunnel({ ike: { ...v1, exchangeMode: 'aggressive' } })))).toMatchObject({ aggressive: 'yes' });
  });

  it('IKEv1 with a single pair keeps the bare conn name for its only child', () => {
    expect(childNames(tunnel({ ike: v1 }))).toEqual(['ipsvpn_vpntnl-k3j9x2ab']);
  });

  it('AH has ah_proposals and no esp_proposals', () => {
    const c = child(renderLoadConn(tunnel({ ipsec: { protocol: 'ah', encryptionAlgorithm: null } })), 'ipsvpn_vpntnl-k3j9x2ab');
    expect(c.ah_proposals).toEqual(['sha1-modp1024']);
    expect(c).not.toHaveProperty('esp_proposals');
  });

  it('PFS disabled: no DH group in the child proposal, while the IKE proposal keeps one', () => {
    const msg = renderLoadConn(tunnel({ ipsec: { pfsGroup: 'disable' } }));
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab').esp_proposals).toEqual(['aes128-sha1']);
    expect(conn(msg).proposals).toEqual(['aes128-sha1-modp1024']);
  });

  it.each([
    [14, 'aes256-sha256-modp2048', 'aes256-sha1-modp2048'],
    [24, 'aes256-sha256-modp2048s256', 'aes256-sha1-modp2048s256'],
  ] as const)('DH %s with aes256/sha2-256', (dh, ike, esp) => {
    const msg = renderLoadConn(
      tunnel({ ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: dh }, ipsec: { encryptionAlgorithm: 'aes256', pfsGroup: dh } }),
    );
    expect(conn(msg).proposals).toEqual([ike]);
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab').esp_proposals).toEqual([esp]);
  });

  it('lifetimes: hard expiry at the configured lifetime, rekey a margin earlier', () => {
    const msg = renderLoadConn(tunnel({ ike: { lifetimeSeconds: 28800 }, ipsec: { lifetimeSeconds: 3600 } }));
    expect(conn(msg)).toMatchObject({ rekey_time: '28260s', over_time: '540s' });
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({ life_time: '3600s', rekey_time: '3060s', rand_time: '540s' });
    expect(timers(3600)).toEqual({ rekey: 3060, margin: 540, life: 3600 });
  });

  it('by default charon never starts a tunnel itself: the worker initiates', () => {
    expect(child(renderLoadConn(CASES['ikev2-defaults']), 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({
      start_action: 'none',
      dpd_action: 'clear',
      close_action: 'none',
    });
  });

  it('autoStart lets charon start and restart a tunnel with a known peer', () => {
    expect(child(renderLoadConn(CASES['ikev2-defaults'], { autoStart: true }), 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({
      start_action: 'start',
      dpd_action: 'restart',
      close_action: 'start',
    });
  });

  it('a 0.0.0.0 peer: remote_addrs %any, and the platform never initiates, even with autoStart', () => {
    const t = CASES['ikev2-any-peer'];
    const msg = renderLoadConn(t, { autoStart: true });
    expect(conn(msg).remote_addrs).toEqual(['%any']);
    expect((conn(msg).remote as ViciSection).id).toBe('203.0.113.77');
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({ start_action: 'none', dpd_action: 'clear', close_action: 'none' });
    expect(canInitiate(t)).toBe(false);
    expect(canInitiate(CASES['ikev2-defaults'])).toBe(true);
  });

  it('response-only towards a known peer (issue 16): only that address answers, and the platform never initiates, even with autoStart', () => {
    const t = CASES['ikev2-response-only'];
    const msg = renderLoadConn(t, { autoStart: true });
    expect(conn(msg).remote_addrs).toEqual(['203.0.113.20']);
    expect(child(msg, 'ipsvpn_vpntnl-k3j9x2ab')).toMatchObject({ start_action: 'none', dpd_action: 'clear', close_action: 'none' });
    expect(canInitiate(t)).toBe(false);
  });

  it('keyingtries is settable and validated', () => {
    expect(conn(renderLoadConn(CASES['ikev2-defaults'], { keyingtries: 1 })).keyingtries).toBe('1');
    expect(() => renderLoadConn(CASES['ikev2-defaults'], { keyingtries: -1 })).toThrow(RangeError);
  });

  it.each(Object.entries(CASES))('%s: the keys VICI needs as lists are lists', (_name, t) => {
    const c = conn(renderLoadConn(t));
    for (const key of ['local_addrs', 'remote_addrs', 'proposals']) expect(Array.isArray(c[key])).toBe(true);
    for (const ch of Object.values(c.children as ViciSection) as ViciSection[]) {
      for (const key of ['local_ts', 'remote_ts']) expect(Array.isArray(ch[key])).toBe(true);
      expect(Array.isArray(ch.esp_proposals ?? ch.ah_proposals)).toBe(true);
    }
  });
});

describe('renderLoadShared', () => {
  it('is keyed by the two ids, with a per-tunnel id for unload-shared', () => {
    expect(renderLoadShared(CASES['ikev2-defaults'])).toEqual({
      id: 'ipsvpn_vpntnl-k3j9x2ab-psk',
      type: 'IKE',
      data: 'ucloud.1231',
      owners: ['198.51.100.10', '203.0.113.20'],
    });
    expect(sharedSecretId('vpntnl-k3j9x2ab')).toBe('ipsvpn_vpntnl-k3j9x2ab-psk');
  });

  it('for a 0.0.0.0 peer the owners are the configured ids, never 0.0.0.0', () => {
    expect(renderLoadShared(CASES['ikev2-any-peer']).owners).toEqual(['198.51.100.10', '203.0.113.77']);
  });
});

describe('assertRenderable', () => {
  it('accepts every golden case', () => {
    for (const t of Object.values(CASES)) expect(() => assertRenderable(t)).not.toThrow();
  });

  it.each([
    ['a tunnel id that could break a config line', { id: 'x\nconn evil' }],
    ['an un-normalised CIDR', { localCidrs: ['10.0.192.1/20'] }],
    ['no remote subnets', { remoteCidrs: [] }],
    ['a PSK with a space', { psk: 'has space' }],
    ['a PSK with a newline', { psk: 'a\nb' }],
  ])('refuses %s', (_what, over) => {
    expect(() => renderLoadConn(tunnel(over))).toThrow(RenderError);
  });

  it('refuses a 0.0.0.0 remote id and never echoes the PSK', () => {
    const t = tunnel({ peerIp: '0.0.0.0', psk: 'secret value' });
    expect(() => assertRenderable(t)).toThrow(/remoteId '0.0.0.0'/);
    expect(() => assertRenderable(t)).not.toThrow(/secret value/);
  });
});

describe('names', () => {
  it('conn and pair names are derived from the tunnel id', () => {
    expect(connName('vpntnl-k3j9x2ab')).toBe('ipsvpn_vpntnl-k3j9x2ab');
    expect(subnetPairs(tunnel({ remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] })).map((p) => p.name)).toEqual([
      'ipsvpn_vpntnl-k3j9x2ab-1',
      'ipsvpn_vpntnl-k3j9x2ab-2',
    ]);
  });
});
