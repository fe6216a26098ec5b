import { CASES } from '../strongswan/__golden__/cases';
import { RenderableTunnel } from '../strongswan/tunnel-model';
import { CheckField, checkRemoteConfig, detectFormat, UnreadableConfigError } from './config-check';
import { renderRemoteConfig, VENDOR_IDS, VendorId } from './vendors';

const v2 = CASES['ikev2-defaults'];
const v1 = CASES['ikev1-main-two-remotes'];

type Mutation = [CheckField, (t: RenderableTunnel) => RenderableTunnel];
const ike = (t: RenderableTunnel, over: Partial<RenderableTunnel['ike']>) => ({ ...t, ike: { ...t.ike, ...over } });
const ipsec = (t: RenderableTunnel, over: Partial<RenderableTunnel['ipsec']>) => ({ ...t, ipsec: { ...t.ipsec, ...over } });

// One tunnel field changed at a time, and the check field that must (alone) report it.
const MUTATIONS: Mutation[] = [
  ['ikeEncryption', (t) => ike(t, { encryptionAlgorithm: 'aes256' })],
  ['ikeIntegrity', (t) => ike(t, { authAlgorithm: 'sha2-256' })],
  ['dhGroup', (t) => ike(t, { dhGroup: 14 })],
  ['ikeLifetime', (t) => ike(t, { lifetimeSeconds: 28800 })],
  ['ipsecEncryption', (t) => ipsec(t, { encryptionAlgorithm: 'aes256' })],
  ['ipsecIntegrity', (t) => ipsec(t, { authAlgorithm: 'md5' })],
  ['pfsGroup', (t) => ipsec(t, { pfsGroup: 14 })],
  ['ipsecLifetime', (t) => ipsec(t, { lifetimeSeconds: 3600 })],
  ['myId', (t) => ike(t, { remoteId: 'branch.example.org' })],
  ['platformId', (t) => ike(t, { localId: 'vpn.example.com' })],
  ['mySubnets', (t) => ({ ...t, remoteCidrs: ['10.24.0.0/16'] })],
  ['platformSubnets', (t) => ({ ...t, localCidrs: ['10.0.208.0/24'] })],
  ['psk', (t) => ({ ...t, psk: 'another.Secret-9' })],
  ['myAddress', (t) => ({ ...t, peerIp: '203.0.113.99' })],
  ['platformAddress', (t) => ({ ...t, gatewayIp: '198.51.100.99' })],
];

// What a vendor's file does not say, so the check cannot see it there (and does not claim to).
const NOT_IN_FILE: Partial<Record<VendorId, CheckField[]>> = {
  'cisco-ios': ['myAddress'], // the interface carries it: the file names an interface, not an address
};
// Huawei's `local-address` is written only for an IP identity equal to the address: an identity
// that becomes an FQDN drops that line too.
const ALSO: Partial<Record<VendorId, Partial<Record<CheckField, CheckField[]>>>> = {
  huawei: { myId: ['myAddress'] },
};

describe.each([...VENDOR_IDS])('check of a %s configuration', (vendor) => {
  it.each([
    ['IKEv2', v2],
    ['IKEv1 main, two remote subnets', v1],
    ['IKEv1 aggressive', CASES['ikev1-aggressive-fqdn']],
    ['0.0.0.0 peer', CASES['ikev2-any-peer']],
  ])('finds nothing wrong in our own export (%s)', (_name, t) => {
    const text = renderRemoteConfig(vendor, t);
    const result = checkRemoteConfig(t, text);
    expect(result).toMatchObject({ format: vendor, detected: true, findings: [] });
    expect(result.checked.length).toBeGreaterThan(8);
  });

  describe.each([
    ['IKEv2', v2],
    ['IKEv1', v1],
  ])('%s: one field changed in the file reports exactly that field', (_name, base) => {
    it.each(MUTATIONS)('%s', (field, mutate) => {
      const result = checkRemoteConfig(base, renderRemoteConfig(vendor, mutate(base)));
      if (NOT_IN_FILE[vendor]?.includes(field)) {
        expect(result.checked).not.toContain(field);
        expect(result.findings).toEqual([]);
        return;
      }
      expect(result.findings.map((f) => f.field).sort()).toEqual([field, ...(ALSO[vendor]?.[field] ?? [])].sort());
      const finding = result.findings.find((f) => f.field === field)!;
      // A changed line is quoted by number; a line the change removed is to be added back.
      expect(finding.lines.length > 0 || finding.fix.startsWith('add: ')).toBe(true);
      expect(finding.fix).toMatch(/^(replace|add): |pre-shared key/);
      if (field === 'psk') {
        // The PSK is never echoed, neither theirs nor ours.
        expect(JSON.stringify(finding)).not.toContain('another.Secret-9');
        expect(JSON.stringify(finding)).not.toContain(base.psk);
      }
    });
  });

  it('a file written for the other IKE version is said once, not as twenty differences', () => {
    const result = checkRemoteConfig(v2, renderRemoteConfig(vendor, ike(v2, { version: 'v1', exchangeMode: 'main' })));
    expect(result.findings.map((f) => f.field)).toEqual(['ikeVersion']);
    expect(result.findings[0]).toMatchObject({ yours: 'v1', expected: 'v2' });
  });

  it('the exchange mode of an IKEv1 file', () => {
    const result = checkRemoteConfig(v1, renderRemoteConfig(vendor, ike(v1, { exchangeMode: 'aggressive' })));
    expect(result.findings.map((f) => f.field)).toEqual(['exchangeMode']);
  });
});

describe('checkRemoteConfig', () => {
  it('quotes the line to change and the line of ours to put there', () => {
    const text = renderRemoteConfig('strongswan-swanctl', v2).replace('proposals = aes128-sha1-modp1024', 'proposals = aes256-sha2_256-modp2048');
    const result = checkRemoteConfig(v2, text);
    const line = text.split('\n').findIndex((l) => l.includes('aes256-sha2_256-modp2048')) + 1;
    expect(result.findings).toEqual([
      { field: 'ikeEncryption', label: 'IKE encryption', yours: 'aes256', expected: 'aes128', lines: [line], fix: 'replace: proposals = aes128-sha1-modp1024' },
      {
        field: 'ikeIntegrity',
        label: 'IKE integrity / PRF',
        yours: 'sha2-256',
        expected: 'sha1',
        lines: [line],
        fix: 'replace: proposals = aes128-sha1-modp1024',
      },
      { field: 'dhGroup', label: 'IKE DH group', yours: '14', expected: '2', lines: [line], fix: 'replace: proposals = aes128-sha1-modp1024' },
    ]);
  });

  it('reads left and right swapped as one finding', () => {
    const swapped = {
      ...v2,
      peerIp: v2.gatewayIp,
      gatewayIp: v2.peerIp,
      ike: { ...v2.ike, localId: v2.ike.remoteId, remoteId: v2.ike.localId },
      localCidrs: v2.remoteCidrs,
      remoteCidrs: v2.localCidrs,
    };
    const result = checkRemoteConfig(v2, renderRemoteConfig('strongswan-ipsec', swapped));
    expect(result.findings.map((f) => f.label)).toEqual([
      "this device's subnets and the platform's (VPC) subnets are swapped",
      "this device's IKE identity and the platform gateway's IKE identity are swapped",
      "this device's public address and the platform gateway's address are swapped",
    ]);
  });

  it('a missing setting says "add" with our line', () => {
    const text = renderRemoteConfig('libreswan', v2).replace(/^\s*salifetime=.*\n/m, '');
    expect(checkRemoteConfig(v2, text).findings).toEqual([
      { field: 'ipsecLifetime', label: 'IPsec SA lifetime', yours: null, expected: '86400', lines: [], fix: 'add: salifetime=86400s' },
    ]);
  });

  it('hand-written syntax variants read as the same choice', () => {
    const ours = renderRemoteConfig('strongswan-ipsec', v2);
    const variant = ours
      .replace(/ike=aes128-sha1-modp1024!/, 'ike = aes128-sha1-modp1024')
      .replace(/ikelifetime=86400s/, 'ikelifetime=24h')
      .replace(/lifetime=86400s/, 'lifetime=1440m');
    expect(checkRemoteConfig(v2, variant).findings).toEqual([]);
  });

  it('detects each format from its text and says what it cannot read', () => {
    for (const vendor of VENDOR_IDS) expect(detectFormat(renderRemoteConfig(vendor, v2))).toBe(vendor);
    expect(() => checkRemoteConfig(v2, 'interface Ethernet1\n ip address 10.0.0.1 255.0.0.0\n')).toThrow(UnreadableConfigError);
    // A format given explicitly, with nothing of it in the text.
    expect(() => checkRemoteConfig(v2, 'hello', 'cisco-ios')).toThrow(/no setting of a cisco-ios configuration/);
  });
});
