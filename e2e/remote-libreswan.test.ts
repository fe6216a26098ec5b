// Issue 6: the libreswan export goes through libreswan's own parsers. `addconn --checkconfig`
// (libreswan's ipsec.conf parser, as `ipsec addconn --checkconfig` runs it) must accept every
// rendered variant without a message, and `algparse` (libreswan's proposal parser) must accept its
// ike= and phase2alg= lines, except where the file itself warns that a stock libreswan lacks the
// DH group. libreswan cannot be installed beside strongSwan: scripts/lib.sh ensure_libreswan_tools
// unpacks it into .cache/libreswan (scripts/test.sh runs it).
import { execFile } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { renderLibreswanBundle } from '../src/remote-config/libreswan-conf';
import { CASES, tunnel } from '../src/strongswan/__golden__/cases';
import { NotExpressible, RenderableTunnel } from '../src/strongswan/tunnel-model';

const BIN = join(__dirname, '..', '.cache', 'libreswan', 'usr', 'libexec', 'ipsec');
const ADDCONN = join(BIN, 'addconn');
const ALGPARSE = join(BIN, 'algparse');
const dir = mkdtempSync(join(tmpdir(), 'libreswan-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  out: string;
}

function exec(bin: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}`.trim() });
    });
  });
}

function checkConfig(text: string, name: string): Promise<Result> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  return exec(ADDCONN, ['--checkconfig', '--config', file]);
}

function setting(text: string, key: string): string {
  const m = new RegExp(`^\\s+${key}=(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${key}= in the file`);
  return m[1];
}

/** algparse on the file's ike= and phase2alg= (as esp= or ah=), with the file's IKE version and PFS. */
async function algorithms(text: string): Promise<Result[]> {
  const version = setting(text, 'ikev2') === 'no' ? '-v1' : '-v2';
  const pfs = setting(text, 'pfs') === 'yes' ? '-pfs=yes' : '-pfs=no';
  return Promise.all([
    exec(ALGPARSE, [version, pfs, `ike=${setting(text, 'ike')}`]),
    exec(ALGPARSE, [version, pfs, `${setting(text, 'phase2')}=${setting(text, 'phase2alg')}`]),
  ]);
}

const v1 = { version: 'v1', exchangeMode: 'main' } as const;
// Variants a stock libreswan 4.x can negotiate (DH 5 / 14 only).
const SUPPORTED: Record<string, RenderableTunnel> = {
  'ikev1-main-dh5': tunnel({ ike: { ...v1, dhGroup: 5 }, ipsec: { pfsGroup: 5 } }),
  'ikev1-aggressive-fqdn-3des-md5': tunnel({
    ike: { ...v1, exchangeMode: 'aggressive', remoteId: 'office.example.net', encryptionAlgorithm: '3des', authAlgorithm: 'md5', dhGroup: 14 },
    ipsec: { encryptionAlgorithm: '3des', authAlgorithm: 'md5', pfsGroup: 14 },
  }),
  'ikev1-any-peer-2x2-hex-psk': tunnel({
    peerIp: '0.0.0.0',
    ike: { ...v1, remoteId: 'branch.example.org', dhGroup: 14 },
    ipsec: { pfsGroup: 14, lifetimeSeconds: 3600 },
    localCidrs: ['10.0.192.0/20', '10.0.208.0/24'],
    remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'],
    psk: 'a"b\\c#d\'e',
  }),
  'ikev2-aes256-sha256-dh14-two-subnets': tunnel({
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14, lifetimeSeconds: 28800 },
    ipsec: { encryptionAlgorithm: 'aes256', pfsGroup: 14, lifetimeSeconds: 3600 },
    localCidrs: ['10.0.192.0/20'],
    remoteCidrs: ['172.16.0.0/16', '192.168.10.0/24'],
  }),
  'ikev2-pfs-off-aes192': tunnel({ ike: { dhGroup: 5, encryptionAlgorithm: 'aes192' }, ipsec: { pfsGroup: 'disable', encryptionAlgorithm: 'aes192' } }),
  'ikev2-ah-dh14': tunnel({ ike: { dhGroup: 14 }, ipsec: { protocol: 'ah', encryptionAlgorithm: null, pfsGroup: 14 } }),
  'ikev2-any-peer-fqdn-ids': tunnel({
    peerIp: '0.0.0.0',
    ike: { dhGroup: 5, localId: 'vpn.example.com', remoteId: 'branch.example.org' },
    ipsec: { pfsGroup: 5 },
  }),
  // Issue 16: AES-GCM (the hash is the PRF), SHA-2 384/512, ECP and curve25519 groups.
  'ikev2-gcm256-prfsha384-dh20': tunnel({
    ike: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-384', dhGroup: 20 },
    ipsec: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: null, pfsGroup: 20 },
  }),
  'ikev2-curve25519-sha512-esp-gcm128': tunnel({
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 31 },
    ipsec: { encryptionAlgorithm: 'aes128gcm16', authAlgorithm: null, pfsGroup: 31 },
  }),
  // IKEv1 takes ECP groups in phase 1 only: libreswan's Quick Mode has no ECP PFS (the export answers 409 then).
  'ikev1-sha512-dh19-esp-sha256-dh14': tunnel({
    ike: { ...v1, encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 19 },
    ipsec: { encryptionAlgorithm: 'aes128', authAlgorithm: 'sha2-256', pfsGroup: 14 },
  }),
  // Several proposals per phase: comma-separated lists.
  'ikev2-two-proposals-each': CASES['ikev2-two-proposals-each'],
  'ikev1-main-two-proposals-each': CASES['ikev1-main-two-proposals-each'],
  'ikev2-ah-sha384-dh19': tunnel({ ike: { dhGroup: 19 }, ipsec: { protocol: 'ah', encryptionAlgorithm: null, authAlgorithm: 'sha2-384', pfsGroup: 19 } }),
};
// The spec's defaults (DH 2) and the other groups libreswan 4.x lacks: the file must say so.
const LACKING: Record<string, [RenderableTunnel, RegExp]> = {
  'ikev2-defaults-modp1024': [tunnel({}), /modp1024 \(DH group 2\)/],
  'ikev1-dh1': [tunnel({ ike: { ...v1, dhGroup: 1 }, ipsec: { pfsGroup: 5 } }), /modp768 \(DH group 1\)/],
  'ikev2-pfs-dh24': [tunnel({ ike: { dhGroup: 14 }, ipsec: { pfsGroup: 24 } }), /dh24 \(DH group 24/],
};

beforeAll(() => {
  if (!existsSync(ADDCONN) || !existsSync(ALGPARSE)) {
    throw new Error(`libreswan's tools are missing in ${BIN}: run \`bash -c 'source scripts/lib.sh; ensure_libreswan_tools'\` (scripts/test.sh does)`);
  }
});

describe.each(Object.entries(SUPPORTED))('libreswan export %s', (name, t) => {
  const text = renderLibreswanBundle(t);

  it('passes addconn --checkconfig without a message and lists the conn', async () => {
    expect(await checkConfig(text, name)).toEqual({ code: 0, out: '' });
    const list = await exec(ADDCONN, ['--config', join(dir, `${name}.conf`), '--listall']);
    expect(list.out.split(/\s+/)).toContain(`ipsvpn_${t.id}`);
  });

  it('has ike= and phase2alg= that algparse accepts, and no warning', async () => {
    for (const r of await algorithms(text)) expect(r).toMatchObject({ code: 0 });
    expect(text).not.toContain('WARNING');
  });
});

describe.each(Object.entries(LACKING))('libreswan export %s (a DH group libreswan lacks)', (name, [t, group]) => {
  const text = renderLibreswanBundle(t);

  it('still parses, warns in the file, and algparse indeed refuses the group', async () => {
    expect(await checkConfig(text, name)).toEqual({ code: 0, out: '' });
    expect(text).toContain('WARNING: a stock libreswan cannot negotiate this tunnel');
    expect(text).toMatch(group);
    const results = await algorithms(text);
    expect(results.some((r) => r.code !== 0 && /not supported/.test(r.out))).toBe(true);
  });
});

it('IKEv1 with an elliptic-curve PFS group: algparse refuses it, so the export refuses it too (409)', async () => {
  const t = tunnel({ ike: { ...v1, dhGroup: 14 }, ipsec: { pfsGroup: 20 } });
  expect(() => renderLibreswanBundle(t)).toThrow(NotExpressible);
  const r = await exec(ALGPARSE, ['-v1', '-pfs=yes', 'esp=aes128-sha1;dh20']);
  expect(r.out).toContain("ESP DH algorithm 'dh20' is not supported by IKEv1");
});

it('a broken file fails the same checks (so the checks can fail)', async () => {
  const good = renderLibreswanBundle(SUPPORTED['ikev1-main-dh5']);
  const badKeyword = good.replace('ikev2=no', 'ikev2=sometimes');
  const r1 = await checkConfig(badKeyword, 'broken-keyword');
  expect(r1.code).not.toBe(0);
  expect(r1.out).toContain('ikev2');
  const unknownKey = good.replace('    authby=secret', '    authby=secret\n    keyexchange=ikev1');
  const r2 = await checkConfig(unknownKey, 'broken-unknown-key');
  expect(r2.code).not.toBe(0);
  expect(r2.out).toContain('keyexchange');
  // strongSwan's proposal syntax (dash before the group, sha256) is not libreswan's for ike=.
  const [ike] = await algorithms(good.replace(/ike=.*/, 'ike=aes128-sha1-modp1536-sha256'));
  expect(ike.code).not.toBe(0);
});
