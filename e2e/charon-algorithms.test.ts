// Every algorithm the product offers (src/policy) is registered in, and negotiated and carried by, a
// gateway charon started with the product's own strongswan.conf (renderCharonConf, i.e. the plugin
// list of charonPlugins): the proof that no plugin the product needs was left out of that list
// (issue 20 dropped strongSwan's portable crypto plugins; OpenSSL 3 serves everything).
// The peer is a stock charon (every Debian plugin). Root, namespaces, real charon 5.9.8.
import { basename, dirname } from 'path';
import { charonPaths, charonPlugins, renderCharonConf } from '../src/negotiation/host/charon-config';
import {
  childProposal,
  DH_GROUPS,
  DhGroup,
  ENCRYPTION_ALGORITHMS,
  EncryptionAlgorithm,
  IKE_AUTH_ALGORITHMS,
  IkeAuthAlgorithm,
  ikeProposal,
  IPSEC_AUTH_ALGORITHMS,
  isAead,
  PFS_GROUPS,
  PfsGroup,
} from '../src/policy/policy';
import { ViciCommands, ViciSection, ViciSession } from '../src/vici';
import { addAddress, cleanupAll, createNamespace, execIn, linkNamespaces, startCharon, TestCharon } from './support/test-charon';

jest.setTimeout(120_000);

// The product's choices as charon names them (get-algorithms, list-sas). Records over the policy's
// types: a new algorithm in src/policy does not compile here until it is mapped (and so checked).
const ENCR: Record<EncryptionAlgorithm, { section: 'encryption' | 'aead'; alg: string; keysize: string }> = {
  '3des': { section: 'encryption', alg: '3DES_CBC', keysize: '' },
  aes128: { section: 'encryption', alg: 'AES_CBC', keysize: '128' },
  aes192: { section: 'encryption', alg: 'AES_CBC', keysize: '192' },
  aes256: { section: 'encryption', alg: 'AES_CBC', keysize: '256' },
  aes128gcm16: { section: 'aead', alg: 'AES_GCM_16', keysize: '128' },
  aes256gcm16: { section: 'aead', alg: 'AES_GCM_16', keysize: '256' },
};
const INTEG: Record<IkeAuthAlgorithm, { integrity: string; prf: string; hasher: string }> = {
  md5: { integrity: 'HMAC_MD5_96', prf: 'PRF_HMAC_MD5', hasher: 'HASH_MD5' },
  sha1: { integrity: 'HMAC_SHA1_96', prf: 'PRF_HMAC_SHA1', hasher: 'HASH_SHA1' },
  'sha2-256': { integrity: 'HMAC_SHA2_256_128', prf: 'PRF_HMAC_SHA2_256', hasher: 'HASH_SHA2_256' },
  'sha2-384': { integrity: 'HMAC_SHA2_384_192', prf: 'PRF_HMAC_SHA2_384', hasher: 'HASH_SHA2_384' },
  'sha2-512': { integrity: 'HMAC_SHA2_512_256', prf: 'PRF_HMAC_SHA2_512', hasher: 'HASH_SHA2_512' },
};
const DH: Record<DhGroup, string> = {
  1: 'MODP_768',
  2: 'MODP_1024',
  5: 'MODP_1536',
  14: 'MODP_2048',
  24: 'MODP_2048_256',
  19: 'ECP_256',
  20: 'ECP_384',
  21: 'ECP_521',
  31: 'CURVE_25519',
};

interface Row {
  version: 'v1' | 'v2';
  ike: { encryptionAlgorithm: EncryptionAlgorithm; authAlgorithm: IkeAuthAlgorithm; dhGroup: DhGroup };
  esp: { encryptionAlgorithm: EncryptionAlgorithm; authAlgorithm: IkeAuthAlgorithm | null; pfsGroup: PfsGroup };
}
const row = (
  version: Row['version'],
  [e, a, g]: [EncryptionAlgorithm, IkeAuthAlgorithm, DhGroup],
  [ce, ca, p]: [EncryptionAlgorithm, IkeAuthAlgorithm | null, PfsGroup],
): Row => ({
  version,
  ike: { encryptionAlgorithm: e, authAlgorithm: a, dhGroup: g },
  esp: { encryptionAlgorithm: ce, authAlgorithm: ca, pfsGroup: p },
});
// Each version: every DH group in phase 1, every cipher it allows there, every hash as integrity and
// (IKEv2, with GCM) as the PRF alone; every ESP cipher, ESP integrity and PFS group. Checked below.
const ROWS: Row[] = [
  row('v2', ['3des', 'md5', 1], ['3des', 'md5', 1]),
  row('v2', ['aes128', 'sha1', 2], ['aes128', 'sha1', 2]),
  row('v2', ['aes192', 'sha2-256', 5], ['aes192', 'sha2-256', 5]),
  row('v2', ['aes256', 'sha2-384', 14], ['aes256', 'sha2-384', 14]),
  row('v2', ['aes256', 'sha2-512', 24], ['aes128', 'sha2-512', 24]),
  row('v2', ['aes128gcm16', 'md5', 19], ['aes128gcm16', null, 19]),
  row('v2', ['aes256gcm16', 'sha1', 20], ['aes256gcm16', null, 20]),
  row('v2', ['aes128gcm16', 'sha2-256', 21], ['aes256gcm16', null, 21]),
  row('v2', ['aes256gcm16', 'sha2-384', 31], ['aes128gcm16', null, 31]),
  row('v2', ['aes128gcm16', 'sha2-512', 14], ['aes256', 'md5', 'disable']),
  row('v1', ['3des', 'md5', 1], ['aes128gcm16', null, 1]),
  row('v1', ['aes128', 'sha1', 2], ['3des', 'sha1', 2]),
  row('v1', ['aes192', 'sha2-256', 5], ['aes256gcm16', null, 5]),
  row('v1', ['aes256', 'sha2-384', 14], ['aes192', 'sha2-384', 14]),
  row('v1', ['aes256', 'sha2-512', 24], ['aes256', 'sha2-512', 24]),
  row('v1', ['aes128', 'md5', 19], ['aes128', 'md5', 19]),
  row('v1', ['aes192', 'sha1', 20], ['aes256', 'sha2-256', 20]),
  row('v1', ['aes256', 'sha2-256', 21], ['3des', 'sha1', 21]),
  row('v1', ['aes128', 'sha2-512', 31], ['aes192', 'md5', 31]),
];

it('the rows cover every algorithm the policy accepts, in both IKE versions', () => {
  for (const version of ['v1', 'v2'] as const) {
    const rows = ROWS.filter((r) => r.version === version);
    const ikeCiphers = ENCRYPTION_ALGORITHMS.filter((e) => version === 'v2' || !isAead(e));
    expect(new Set(rows.map((r) => r.ike.encryptionAlgorithm))).toEqual(new Set(ikeCiphers));
    expect(new Set(rows.filter((r) => !isAead(r.ike.encryptionAlgorithm)).map((r) => r.ike.authAlgorithm))).toEqual(new Set(IKE_AUTH_ALGORITHMS));
    if (version === 'v2')
      expect(new Set(rows.filter((r) => isAead(r.ike.encryptionAlgorithm)).map((r) => r.ike.authAlgorithm))).toEqual(new Set(IKE_AUTH_ALGORITHMS));
    expect(new Set(rows.map((r) => r.ike.dhGroup))).toEqual(new Set(DH_GROUPS));
    expect(new Set(rows.map((r) => r.esp.encryptionAlgorithm))).toEqual(new Set(ENCRYPTION_ALGORITHMS));
    expect(new Set(rows.flatMap((r) => (r.esp.authAlgorithm ? [r.esp.authAlgorithm] : [])))).toEqual(new Set(IPSEC_AUTH_ALGORITHMS));
    expect(new Set(rows.map((r) => r.esp.pfsGroup).filter((p) => p !== 'disable'))).toEqual(new Set(PFS_GROUPS.filter((p) => p !== 'disable')));
  }
  expect(ROWS.some((r) => r.esp.pfsGroup === 'disable')).toBe(true);
});

// The product's list as it is, and as a CPU without AES-NI gets it (aesni registers nothing there,
// so AES comes from openssl: the same as leaving aesni out).
const PLUGIN_LISTS: Array<[string, string[]]> = [
  ['the product list', charonPlugins('libipsec')],
  ['the product list without aesni', charonPlugins('libipsec').filter((p) => p !== 'aesni')],
];

afterAll(async () => {
  await cleanupAll();
});

describe.each(PLUGIN_LISTS)('a gateway charon with %s', (_name, plugins) => {
  let gateway: TestCharon;
  let site: TestCharon;
  let gwNs: string;
  let gwSession: ViciSession;
  let siteSession: ViciSession;
  let gw: ViciCommands;
  let peer: ViciCommands;

  beforeAll(async () => {
    gwNs = createNamespace('algtest');
    const siteNs = createNamespace('algtest');
    linkNamespaces(gwNs, '192.0.2.1/24', siteNs, '192.0.2.2/24');
    addAddress(gwNs, '198.51.100.1/32');
    addAddress(siteNs, '198.51.100.65/32');
    const conf = (dir: string): string => {
      const rendered = renderCharonConf({ gatewayId: 'vpngw-algtest', paths: charonPaths(dirname(dir), basename(dir)), dataPlane: 'libipsec' });
      const load = `  load = ${charonPlugins('libipsec').join(' ')}\n`;
      expect(rendered).toContain(load);
      return rendered.replace(load, `  load = ${plugins.join(' ')}\n`);
    };
    [gateway, site] = await Promise.all([startCharon(gwNs, { strongswanConf: conf }), startCharon(siteNs)]);
    gwSession = new ViciSession({ socketPath: gateway.socketPath, timeoutMs: 15_000 });
    siteSession = new ViciSession({ socketPath: site.socketPath, timeoutMs: 15_000 });
    gw = new ViciCommands(gwSession);
    peer = new ViciCommands(siteSession);
    for (const v of [gw, peer]) await v.loadShared({ id: 'psk-alg', type: 'IKE', data: 'e2e-only-secret', owners: ['192.0.2.1', '192.0.2.2'] });
    // The product routes remote subnets into libipsec's TUN itself (install_routes = no); so do we.
    execIn(gwNs, 'ip', ['route', 'add', '198.51.100.64/26', 'dev', 'ipsec0', 'src', '198.51.100.1']);
  });

  afterAll(async () => {
    await Promise.all([gwSession?.close(), siteSession?.close()]);
    await Promise.all([gateway?.stop(), site?.stop()]);
  });

  it('loads exactly that plugin list', async () => {
    expect((await gw.stats()).plugins).toEqual(['charon', ...plugins]);
  });

  it('registers every algorithm the policy accepts (VICI get-algorithms)', async () => {
    const algs = (await gwSession.request('get-algorithms')) as Record<string, Record<string, string>>;
    const registered = (section: string): string[] => Object.keys(algs[section] ?? {});
    const missing: string[] = [];
    const need = (section: string, alg: string): void => {
      if (!registered(section).includes(alg)) missing.push(`${section}/${alg}`);
    };
    for (const e of ENCRYPTION_ALGORITHMS) need(ENCR[e].section, ENCR[e].alg);
    for (const a of IKE_AUTH_ALGORITHMS) for (const kind of ['integrity', 'prf', 'hasher'] as const) need(kind, INTEG[a][kind]);
    for (const a of IPSEC_AUTH_ALGORITHMS) need('integrity', INTEG[a].integrity);
    for (const g of DH_GROUPS) need('dh', DH[g]);
    need('hasher', 'HASH_SHA1'); // NAT detection
    need('kdf', 'KDF_PRF'); // IKEv2's prf+ (5.9.8 routes it through a KDF)
    need('kdf', 'KDF_PRF_PLUS');
    need('rng', 'RNG_WEAK');
    need('rng', 'RNG_STRONG');
    need('nonce-gen', 'NONCE_GEN');
    expect(missing).toEqual([]);
  });

  it.each(ROWS.map((r, i) => [`${r.version} ${ikeProposal(r.ike)} / esp ${childProposal({ protocol: 'esp', ...r.esp })}`, i] as const))(
    'negotiates and carries traffic: %s',
    async (_label, i) => {
      const r = ROWS[i];
      const name = `alg${i}`;
      const conn = (local: string, remote: string, localTs: string, remoteTs: string): ViciSection => ({
        version: r.version === 'v1' ? '1' : '2',
        local_addrs: [local],
        remote_addrs: [remote],
        proposals: [ikeProposal(r.ike)],
        rekey_time: '86400s',
        keyingtries: '1',
        local: { auth: 'psk', id: local },
        remote: { auth: 'psk', id: remote },
        children: {
          net: {
            local_ts: [localTs],
            remote_ts: [remoteTs],
            esp_proposals: [childProposal({ protocol: 'esp', ...r.esp })],
            mode: 'tunnel',
            start_action: 'none',
          },
        },
      });
      await gw.loadConn(name, conn('192.0.2.1', '192.0.2.2', '198.51.100.0/26', '198.51.100.64/26'));
      await peer.loadConn(name, conn('192.0.2.2', '192.0.2.1', '198.51.100.64/26', '198.51.100.0/26'));
      try {
        const result = await gw.initiate({ child: 'net', ike: name, timeout: 15_000 });
        if (!result.success) throw new Error(`initiate failed: ${result.errmsg}\n${gateway.log().split('\n').slice(-30).join('\n')}`);

        const [sa] = await gw.listSas({ ike: name });
        const encr = ENCR[r.ike.encryptionAlgorithm];
        expect(sa.sa).toMatchObject({ state: 'ESTABLISHED', version: r.version === 'v1' ? '1' : '2', 'encr-alg': encr.alg, 'dh-group': DH[r.ike.dhGroup] });
        if (encr.keysize) expect(sa.sa['encr-keysize']).toBe(encr.keysize);
        if (!isAead(r.ike.encryptionAlgorithm)) expect(sa.sa['integ-alg']).toBe(INTEG[r.ike.authAlgorithm].integrity);
        expect(sa.sa['prf-alg']).toBe(INTEG[r.ike.authAlgorithm].prf);

        let child = sa.children[0];
        const pfs = r.esp.pfsGroup === 'disable' ? undefined : DH[r.esp.pfsGroup];
        if (r.version === 'v2' && pfs) {
          // IKEv2's first CHILD_SA comes with IKE_AUTH, without a DH exchange: the PFS group is used
          // from the first rekey on (CREATE_CHILD_SA with KE), as the worker's connect-time rekey does.
          expect(child['dh-group']).toBeUndefined();
          await gw.rekey({ child: 'net' });
          const deadline = Date.now() + 10_000;
          for (;;) {
            const [now] = await gw.listSas({ ike: name, noblock: true });
            const rekeyed = now?.children.find((c) => c.state === 'INSTALLED' && c['dh-group'] !== undefined);
            if (rekeyed) {
              child = rekeyed;
              break;
            }
            if (Date.now() > deadline) throw new Error(`no rekeyed CHILD_SA with ${pfs}\n${gateway.log().split('\n').slice(-30).join('\n')}`);
            await new Promise((res) => setTimeout(res, 50));
          }
        }
        const espEncr = ENCR[r.esp.encryptionAlgorithm];
        expect(child).toMatchObject({ state: 'INSTALLED', protocol: 'ESP', 'encr-alg': espEncr.alg });
        if (espEncr.keysize) expect(child['encr-keysize']).toBe(espEncr.keysize);
        expect(child['integ-alg']).toBe(r.esp.authAlgorithm ? INTEG[r.esp.authAlgorithm].integrity : undefined);
        expect(child['dh-group']).toBe(pfs);

        // libipsec's ESP encrypts and authenticates with the gateway charon's own crypto plugins.
        expect(execIn(gwNs, 'ping', ['-c', '2', '-W', '2', '-I', '198.51.100.1', '198.51.100.65'])).toMatch(/2 received/);
        // Not noblock: charon then skips an IKE_SA one of its jobs holds at that moment, and its jobs
        // take this one 2 s after each exchange it sent (the retransmit check; the ping ends ~1.1 s
        // after the last), on a MOBIKE address update and 5 s after the rekey: read as no IKE_SA.
        const [after] = await gw.listSas({ ike: name });
        expect(after).toBeDefined();
        const carried = after.children.find((c) => c.uniqueid === child.uniqueid);
        expect(Number(carried?.['packets-in'])).toBeGreaterThanOrEqual(2);
      } finally {
        await gw.terminate({ ike: name, timeout: 5000 }).catch(() => undefined);
        await gw.unloadConn(name).catch(() => undefined);
        await peer.unloadConn(name).catch(() => undefined);
      }
    },
  );
});
