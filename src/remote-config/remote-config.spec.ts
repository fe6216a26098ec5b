import { CASES, tunnel } from '../strongswan/__golden__/cases';
import { renderCiscoIos } from './cisco-ios';
import { huaweiName, renderHuaweiVrp } from './huawei-vrp';
import { libreswanIke, libreswanLimits, libreswanPhase2, renderLibreswanConf, renderLibreswanSecrets } from './libreswan-conf';
import { cidrParts, remoteView } from './remote-view';
import { renderSwanctlConf } from './swanctl-conf';
import { configFileName, DEFAULT_VENDOR, renderRemoteConfig, VENDOR_IDS, VENDORS, vendorById } from './vendors';

describe('remote view and helpers', () => {
  it('swaps the platform and the remote device', () => {
    const v = remoteView(tunnel({ ike: { remoteId: 'office.example.net' } }));
    expect(v).toEqual({
      myAddress: '203.0.113.20',
      myId: 'office.example.net',
      mySubnets: ['10.23.0.0/16'],
      platformAddress: '198.51.100.10',
      platformId: '198.51.100.10',
      platformSubnets: ['10.0.192.0/20'],
    });
    expect(remoteView(tunnel({ peerIp: '0.0.0.0', ike: { remoteId: '203.0.113.77' } })).myAddress).toBeNull();
  });

  it('computes masks and wildcards', () => {
    expect(cidrParts('10.0.192.0/20')).toEqual({ network: '10.0.192.0', mask: '255.255.240.0', wildcard: '0.0.15.255', prefix: 20 });
    expect(cidrParts('0.0.0.0/0')).toMatchObject({ mask: '0.0.0.0', wildcard: '255.255.255.255' });
    expect(cidrParts('192.168.1.7/32')).toMatchObject({ mask: '255.255.255.255', wildcard: '0.0.0.0' });
  });
});

describe('vendor registry', () => {
  it('lists every vendor id once, the default first', () => {
    expect(VENDORS.map((v) => v.id)).toEqual([...VENDOR_IDS]);
    expect(VENDORS[0].id).toBe(DEFAULT_VENDOR);
    expect(vendorById('juniper')).toBeUndefined();
  });

  it('names files per vendor', () => {
    expect(configFileName(vendorById('strongswan-ipsec')!, 'vpntnl-a', 'platform')).toBe('vpntnl-a-platform.conf');
    expect(configFileName(vendorById('cisco-ios')!, 'vpntnl-a', 'remote')).toBe('vpntnl-a-cisco-ios.txt');
  });

  it.each(VENDOR_IDS)('%s: remote perspective, the checklist, and no user text outside comments', (vendor) => {
    const t = tunnel({ name: 'evil\nconn x\n  auto=start', ike: { remoteId: 'office.example.net' } });
    const text = renderRemoteConfig(vendor, t);
    expect(text).toContain('UDP 500 and 4500');
    expect(text).toContain('10.0.192.0');
    // The name's newlines were flattened: it only appears inside one comment line.
    const nameLines = text.split('\n').filter((l) => l.includes('conn x'));
    expect(nameLines.length).toBeGreaterThan(0);
    for (const l of nameLines) expect(l).toMatch(/^[#!] .*evil conn x {3}auto=start/);
  });

  it('refuses data that could break out of a line (never echoing the PSK)', () => {
    const bad = tunnel({ psk: 'has space' });
    for (const vendor of VENDOR_IDS) expect(() => renderRemoteConfig(vendor, bad)).toThrow(/psk must be/);
    try {
      renderRemoteConfig('cisco-ios', bad);
    } catch (e) {
      expect((e as Error).message).not.toContain('has space');
    }
  });
});

describe('swanctl.conf', () => {
  it('IKEv1 with several pairs: one child per pair, mirrored', () => {
    const text = renderSwanctlConf(CASES['ikev1-any-peer-2x2-hex-psk']);
    expect(text.match(/local_ts = /g)).toHaveLength(4);
    expect(text).toContain('local_ts = 10.25.0.0/16\n                remote_ts = 10.0.208.0/24');
    expect(text).not.toContain('local_addrs'); // 0.0.0.0 peer: %any
    expect(text).toContain('close_action = start');
    expect(text).toContain('secret = 0x6122625c6323642765');
  });

  it('AH uses ah_proposals only', () => {
    const text = renderSwanctlConf(CASES['ikev2-ah']);
    expect(text).toContain('ah_proposals = sha1-modp1024');
    expect(text).not.toContain('esp_proposals');
  });
});

describe('libreswan', () => {
  it('uses libreswan proposal syntax', () => {
    const t = tunnel({ ike: { authAlgorithm: 'sha2-256', dhGroup: 14, encryptionAlgorithm: 'aes256' }, ipsec: { pfsGroup: 'disable' } });
    expect(libreswanIke(t)).toBe('aes256-sha2_256;modp2048');
    expect(libreswanPhase2(t)).toBe('aes128-sha1');
    expect(libreswanPhase2(tunnel({ ipsec: { protocol: 'ah', encryptionAlgorithm: null, pfsGroup: 24 } }))).toBe('sha1;dh24');
    const conf = renderLibreswanConf(t);
    expect(conf).toContain('    pfs=no\n');
    expect(conf).toContain('    ikev2=insist\n');
  });

  it('names the groups libreswan lacks, and only those', () => {
    expect(libreswanLimits(tunnel({}))).toHaveLength(2);
    expect(libreswanLimits(tunnel({ ike: { dhGroup: 5 }, ipsec: { pfsGroup: 'disable' } }))).toEqual([]);
    expect(libreswanLimits(tunnel({ ike: { dhGroup: 14 }, ipsec: { pfsGroup: 1 } }))).toEqual([expect.stringContaining('modp768')]);
  });

  it('marks FQDN ids with @ in the conn and the secrets line', () => {
    const t = CASES['ikev1-aggressive-fqdn'];
    expect(renderLibreswanConf(t)).toContain('leftid=@office.example.net');
    expect(renderLibreswanSecrets(t)).toBe('@office.example.net 198.51.100.10 : PSK "ucloud.1231"\n');
  });
});

describe('Cisco IOS', () => {
  it('IKEv1 aggressive with an FQDN id: isakmp profile initiates aggressive, hostname note', () => {
    const text = renderCiscoIos(CASES['ikev1-aggressive-fqdn']);
    expect(text).toContain(' initiate mode aggressive');
    expect(text).toContain(' self-identity fqdn');
    expect(text).toContain('`ip domain name`');
    expect(text).toContain('crypto isakmp policy 10\n encryption aes\n hash sha\n authentication pre-share\n group 2\n lifetime 86400');
  });

  it('one ACL line per subnet pair, from this side to the platform', () => {
    const text = renderCiscoIos(CASES['ikev2-dh14-aes256-sha256']);
    expect(text.match(/^ permit ip /gm)).toHaveLength(4);
    expect(text).toContain(' permit ip 172.16.0.0 0.0.255.255 10.0.192.0 0.0.15.255');
    expect(text).toContain(' set pfs group14');
    expect(text).toContain('crypto ipsec transform-set ipsvpn_vpntnl-k3j9x2ab esp-aes 256 esp-sha-hmac');
  });

  it('PFS off: no set pfs', () => {
    const text = renderCiscoIos(CASES['ikev2-pfs-disabled']);
    expect(text).not.toMatch(/^ set pfs/m);
    expect(renderCiscoIos(CASES['ikev2-defaults'])).toMatch(/^ set pfs group2$/m);
  });
});

describe('Huawei VRP', () => {
  it('keeps object names within 15 characters', () => {
    expect(huaweiName(tunnel({ id: 'vpntnl-k3j9x2ab' }))).toBe('ipsvpn-k3j9x2ab');
    expect(huaweiName(tunnel({ id: 'some-much-longer-tunnel-id' })).length).toBeLessThanOrEqual(15);
  });

  it('IKEv1 aggressive, FQDN local id, v2 disabled', () => {
    const text = renderHuaweiVrp(CASES['ikev1-aggressive-fqdn']);
    expect(text).toContain(' undo version 2\n exchange-mode aggressive');
    expect(text).toContain(' local-id-type fqdn\n local-id office.example.net');
    expect(text).not.toContain('integrity-algorithm');
  });

  it('IKEv2: integrity and prf follow the authentication algorithm; AH has no encryption', () => {
    const text = renderHuaweiVrp(CASES['ikev2-ah']);
    expect(text).toContain(' integrity-algorithm hmac-sha1-96\n prf hmac-sha1');
    expect(text).toContain(' transform ah\n ah authentication-algorithm sha1\n encapsulation-mode tunnel');
  });
});
