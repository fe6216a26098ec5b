import { assertCharonPaths, CHARON_THREADS, charonPaths, charonPlugins, DEFAULT_RETRANSMIT, renderCharonConf, retransmitGiveUpSeconds } from './charon-config';

describe('charon configuration', () => {
  const paths = charonPaths('/var/lib/vpn-console/gateways', 'vpngw-ab12cd34');

  it('keeps every file of a gateway in its own directory', () => {
    expect(paths).toEqual({
      dir: '/var/lib/vpn-console/gateways/vpngw-ab12cd34',
      conf: '/var/lib/vpn-console/gateways/vpngw-ab12cd34/strongswan.conf',
      viciSocket: '/var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.vici',
      log: '/var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.log',
      output: '/var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.out',
      pidFile: '/var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.pid',
    });
  });

  it('gives up on a silent peer after 9.5 s per try with the default knobs', () => {
    expect(DEFAULT_RETRANSMIT).toEqual({ tries: 2, timeoutSeconds: 2, base: 1.5 });
    expect(retransmitGiveUpSeconds(DEFAULT_RETRANSMIT)).toBeCloseTo(9.5);
    // charon's own defaults, for comparison: ~165 s.
    expect(retransmitGiveUpSeconds({ tries: 5, timeoutSeconds: 4, base: 1.8 })).toBeCloseTo(165.0, 0);
  });

  it('renders libipsec after the stock include, the VICI socket, the log and the knobs', () => {
    const conf = renderCharonConf({ gatewayId: 'vpngw-ab12cd34', paths });
    const include = conf.indexOf('include /etc/strongswan.d/charon/*.conf');
    const libipsec = conf.indexOf('kernel-libipsec {');
    expect(include).toBeGreaterThan(0);
    expect(libipsec).toBeGreaterThan(include);
    // A listed plugin whose own setting says no is skipped: the stock 'load = no' must be overridden.
    expect(conf).toMatch(/kernel-libipsec \{\n\s+load = yes/);
    const load = conf.match(/^ {2}load = (.*)$/m)![1].split(' ');
    expect(load).toEqual(expect.arrayContaining(['kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici', 'aesni', 'openssl', 'kdf', 'random', 'nonce']));
    expect(load).not.toContain('test-vectors');
    expect(load).not.toContain('stroke');
    // PSK only: no certificate or key parsers mapped into every charon.
    for (const unused of ['x509', 'pem', 'pkcs1', 'pubkey']) expect(load).not.toContain(unused);
    expect(conf).toMatch(/openssl \{\n\s+load_legacy = no/);
    expect(conf).toContain('socket = unix:///var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.vici');
    expect(conf).toContain('path = /var/lib/vpn-console/gateways/vpngw-ab12cd34/charon.log');
    expect(conf).toMatch(/ike = 1\n\s+cfg = 1\n\s+knl = 0/);
    expect(conf).toContain('install_routes = no');
    // 20 blocking initiates + 10 long-lived jobs must leave threads for VICI: the stock 16 starved (issue 11).
    expect(CHARON_THREADS).toBeGreaterThanOrEqual(20 + 10 + 8);
    expect(conf).toMatch(new RegExp(`^ {2}threads = ${CHARON_THREADS}$`, 'm'));
    expect(conf).toContain('i_dont_care_about_security_and_use_aggressive_mode_psk = yes');
    expect(conf).toContain('retransmit_tries = 2\n  retransmit_timeout = 2\n  retransmit_base = 1.5');
    expect(conf).toContain('gives up after 9.5 s');
    expect(conf.split('{').length).toBe(conf.split('}').length);
  });

  it('puts aesni, then openssl, then kdf (the first registered implementation wins), and no portable fallbacks', () => {
    const load = charonPlugins('libipsec');
    expect(load.indexOf('aesni')).toBeGreaterThan(-1);
    expect(load.indexOf('aesni')).toBeLessThan(load.indexOf('openssl'));
    // openssl's KDF_PRF refuses every HMAC PRF under OpenSSL 3: kdf's must come after it, and stay.
    expect(load.indexOf('openssl')).toBeLessThan(load.indexOf('kdf'));
    // Everything these served comes from openssl (e2e/charon-algorithms.test.ts): ~50 KiB each per charon.
    for (const software of ['aes', 'sha1', 'sha2', 'md5', 'hmac', 'gmp', 'curve25519', 'drbg']) expect(load).not.toContain(software);
  });

  it('keeps the data plane a setting', () => {
    const conf = renderCharonConf({ gatewayId: 'vpngw-x', paths, dataPlane: 'kernel', retransmit: { tries: 1, timeoutSeconds: 3, base: 2 } });
    expect(conf.match(/^ {2}load = (.*)$/m)![1].split(' ')).not.toContain('kernel-libipsec');
    expect(conf).toMatch(/kernel-libipsec \{\n\s+load = no/);
    expect(charonPlugins('libipsec')).toContain('kernel-libipsec');
    expect(conf).toContain('retransmit_tries = 1');
    expect(conf).toContain('gives up after 9 s');
  });

  it('refuses directories charon could not see or a socket path too long', () => {
    expect(() => assertCharonPaths(charonPaths('/run/vpn', 'vpngw-x'))).toThrow(/must not be under \/run/);
    expect(() => assertCharonPaths(charonPaths('/var/run/vpn', 'vpngw-x'))).toThrow(/must not be under \/run/);
    expect(() => assertCharonPaths(charonPaths(`/var/lib/${'x'.repeat(100)}`, 'vpngw-x'))).toThrow(/too long/);
    expect(() => assertCharonPaths(paths)).not.toThrow();
  });
});
