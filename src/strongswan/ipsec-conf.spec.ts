import fc from 'fast-check';
import { CASES, tunnel } from './__golden__/cases';
import { formatPsk, renderConfigBundle, renderIpsecConf, renderIpsecSecrets } from './ipsec-conf';

/** `key=value` lines of one conn section (indented lines up to the next blank-line-separated conn). */
function conn(text: string, name: string): Record<string, string> {
  const lines = text.split('\n');
  const start = lines.indexOf(`conn ${name}`);
  if (start < 0) throw new Error(`no conn ${name}`);
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('conn ') || line.startsWith('# ---')) break;
    const m = /^ {4}([a-z]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

const NAME = 'ipsvpn_vpntnl-k3j9x2ab';
const v1 = { version: 'v1', exchangeMode: 'main' } as const;

describe('renderIpsecConf', () => {
  it("platform side is the seed's form: left = the platform gateway", () => {
    const c = conn(renderIpsecConf(CASES['ikev2-defaults'], 'platform'), NAME);
    expect(c).toMatchObject({
      keyingtries: '3',
      authby: 'psk',
      auto: 'start',
      type: 'tunnel',
      keyexchange: 'ikev2',
      esp: 'aes128-sha1-modp1024!',
      ike: 'aes128-sha1-modp1024!',
      ikelifetime: '86400s',
      lifetime: '86400s',
      left: '198.51.100.10',
      leftid: '198.51.100.10',
      leftsubnet: '10.0.192.0/20',
      right: '203.0.113.20',
      rightid: '203.0.113.20',
      rightsubnet: '10.23.0.0/16',
      dpddelay: '8s',
      dpdtimeout: '13s',
    });
  });

  it('remote side swaps left/right, ids and subnets, and never gives up', () => {
    const c = conn(renderIpsecConf(CASES['ikev1-aggressive-fqdn'], 'remote'), NAME);
    expect(c).toMatchObject({
      left: '203.0.113.20',
      leftid: 'office.example.net',
      leftsubnet: '10.23.0.0/16',
      right: '198.51.100.10',
      rightid: '198.51.100.10',
      rightsubnet: '10.0.192.0/20',
      auto: 'start',
      keyingtries: '%forever',
      dpdaction: 'restart',
      keyexchange: 'ikev1',
      aggressive: 'yes',
    });
  });

  it('emits no keyword strongSwan 5.9 reports as deprecated (pfs, leftnexthop, rightnexthop)', () => {
    for (const t of Object.values(CASES)) {
      for (const side of ['platform', 'remote'] as const) expect(renderIpsecConf(t, side)).not.toMatch(/^\s*(pfs|leftnexthop|rightnexthop)=/m);
    }
  });

  it('PFS is expressed by the group in esp= only', () => {
    expect(conn(renderIpsecConf(CASES['ikev2-pfs-disabled'], 'remote'), NAME).esp).toBe('aes128-sha1!');
    expect(renderIpsecConf(CASES['ikev2-pfs-disabled'], 'remote')).toContain('# PFS is off');
    expect(conn(renderIpsecConf(CASES['ikev2-dh24'], 'remote'), NAME).esp).toBe('aes128-sha1-modp2048s256!');
  });

  it('AH: ah= and no esp=', () => {
    const c = conn(renderIpsecConf(CASES['ikev2-ah'], 'remote'), NAME);
    expect(c.ah).toBe('sha1-modp1024!');
    expect(c).not.toHaveProperty('esp');
  });

  it('IKEv2 keeps several subnets in one comma list, rekeying without reauthentication', () => {
    const c = conn(renderIpsecConf(CASES['ikev2-dh14-aes256-sha256'], 'platform'), NAME);
    expect(c.leftsubnet).toBe('10.0.192.0/20,10.0.208.0/24');
    expect(c.rightsubnet).toBe('172.16.0.0/16,192.168.10.0/24');
    expect(c).toMatchObject({ reauth: 'no', ike: 'aes256-sha256-modp2048!', ikelifetime: '28800s', lifetime: '3600s' });
  });

  it('IKEv1 with several pairs: an also= base without auto (not loaded itself) and one conn per pair', () => {
    const t = tunnel({ ike: v1, remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] });
    for (const side of ['platform', 'remote'] as const) {
      const text = renderIpsecConf(t, side);
      const base = conn(text, NAME);
      expect(base).not.toHaveProperty('auto');
      expect(base).not.toHaveProperty('leftsubnet');
      expect(base.keyexchange).toBe('ikev1');
      const pairs = [1, 2].map((n) => conn(text, `${NAME}-${n}`));
      for (const p of pairs) expect(p).toMatchObject({ also: NAME, auto: 'start' });
      const [l, r] = side === 'platform' ? ['leftsubnet', 'rightsubnet'] : ['rightsubnet', 'leftsubnet'];
      expect(pairs.map((p) => [p[l], p[r]])).toEqual([
        ['10.0.192.0/20', '10.23.0.0/16'],
        ['10.0.192.0/20', '10.25.0.0/16'],
      ]);
    }
  });

  it('a 0.0.0.0 peer: the platform side only answers; the remote side uses its own address and restarts on close', () => {
    const t = CASES['ikev2-any-peer'];
    expect(conn(renderIpsecConf(t, 'platform'), NAME)).toMatchObject({ right: '%any', rightid: '203.0.113.77', auto: 'add', dpdaction: 'clear' });
    expect(conn(renderIpsecConf(t, 'remote'), NAME)).toMatchObject({
      left: '%defaultroute',
      leftid: '203.0.113.77',
      right: '198.51.100.10',
      rightid: '198.51.100.10',
      auto: 'start',
      closeaction: 'restart',
    });
    expect(conn(renderIpsecConf(CASES['ikev2-defaults'], 'remote'), NAME)).not.toHaveProperty('closeaction');
  });

  it('the header says which tunnel and side, and what to open', () => {
    const text = renderIpsecConf(CASES['ikev2-defaults'], 'platform');
    expect(text).toMatch(/^# strongSwan ipsec\.conf for IPsec VPN tunnel "office link" \(vpntnl-k3j9x2ab\), platform side\./);
    expect(text).toContain('UDP 500 and 4500');
    expect(text).toContain('swap left/right');
    expect(renderIpsecConf(CASES['ikev2-ah'], 'remote')).toContain('AH (IP protocol 51)');
  });

  it('a tunnel name cannot inject config lines', () => {
    const text = renderIpsecConf(tunnel({ name: 'x"\nconn evil\r\n    auto=start' }), 'remote');
    expect(text).not.toMatch(/^conn evil/m);
    expect(text.split('\n').filter((l) => l.startsWith('conn '))).toEqual([`conn ${NAME}`]);
  });

  it('never contains the PSK', () => {
    for (const t of Object.values(CASES)) expect(renderIpsecConf(t, 'remote')).not.toContain(t.psk);
  });
});

describe('renderIpsecSecrets', () => {
  it("is written from that side's point of view", () => {
    const t = CASES['ikev1-aggressive-fqdn'];
    expect(renderIpsecSecrets(t, 'platform')).toBe('198.51.100.10 office.example.net : PSK "ucloud.1231"\n');
    expect(renderIpsecSecrets(t, 'remote')).toBe('office.example.net 198.51.100.10 : PSK "ucloud.1231"\n');
  });

  it('writes a PSK holding a double quote or a backslash as hex', () => {
    expect(formatPsk('a"b')).toBe('0x612262');
    expect(formatPsk('a\\b')).toBe('0x615c62');
    expect(formatPsk("it's#fine!")).toBe('"it\'s#fine!"');
  });

  // strongSwan's parser: a quoted secret runs to the next quote of the same kind, no escapes;
  // 0x... is hex. Any PSK the spec allows must come back byte for byte.
  it("round-trips every PSK the spec allows through strongSwan's secret syntax", () => {
    const pskChar = fc
      .integer({ min: 0x21, max: 0x7e })
      .filter((c) => c !== 0x3f)
      .map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(
        fc.array(pskChar, { minLength: 1, maxLength: 128 }).map((a) => a.join('')),
        (psk) => {
          const out = formatPsk(psk);
          const parsed = out.startsWith('"') ? out.slice(1, out.indexOf('"', 1)) : Buffer.from(out.slice(2), 'hex').toString('latin1');
          expect(parsed).toBe(psk);
        },
      ),
    );
  });
});

describe('renderConfigBundle', () => {
  it('is the ipsec.conf followed by the commented-out secrets line, so it still loads as ipsec.conf', () => {
    const t = CASES['ikev2-defaults'];
    const bundle = renderConfigBundle(t, 'remote');
    expect(bundle.startsWith(renderIpsecConf(t, 'remote'))).toBe(true);
    const tail = bundle.slice(renderIpsecConf(t, 'remote').length).split('\n').filter(Boolean);
    expect(tail.every((l) => l.startsWith('#'))).toBe(true);
    expect(tail[tail.length - 1]).toBe(`# ${renderIpsecSecrets(t, 'remote').trimEnd()}`);
  });
});
