import { Checked, Violation } from '../common/violations';
import {
  checkIkePolicy,
  checkIpsecPolicy,
  childProposal,
  DH_KEYWORD,
  IKE_DEFAULTS,
  IkePolicy,
  ikeProposal,
  IPSEC_DEFAULTS,
  IpsecPolicy,
  RECOMMENDED,
  weakChoices,
  ikeProposalList,
  childProposalList,
} from './policy';

const IDS = { gatewayIp: '198.51.100.10', peerIp: '203.0.113.7' };
const ANY_PEER = { gatewayIp: '198.51.100.10', peerIp: '0.0.0.0' };

function ok<T>(result: Checked<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.violations)}`);
  return result.value;
}

function bad<T>(result: Checked<T>): Violation[] {
  if (result.ok) throw new Error(`expected violations, got ${JSON.stringify(result.value)}`);
  return result.violations;
}

const storedIke = (over: Partial<IkePolicy> = {}): IkePolicy => ({
  version: 'v1',
  authAlgorithm: 'md5',
  encryptionAlgorithm: 'aes256',
  exchangeMode: 'aggressive',
  dhGroup: 14,
  localId: 'gw.example.com',
  remoteId: 'office.example.net',
  lifetimeSeconds: 7200,
  ...over,
});

const storedIpsec = (over: Partial<IpsecPolicy> = {}): IpsecPolicy => ({
  protocol: 'esp',
  authAlgorithm: 'md5',
  encryptionAlgorithm: '3des',
  pfsGroup: 14,
  lifetimeSeconds: 7200,
  ...over,
});

describe('checkIkePolicy defaults', () => {
  it('fills exactly the spec defaults: IKEv2, sha1, aes128, DH 2, 86400 s, ids = gateway / peer IP', () => {
    expect(ok(checkIkePolicy({}, IDS))).toEqual({
      version: 'v2',
      authAlgorithm: 'sha1',
      encryptionAlgorithm: 'aes128',
      exchangeMode: null,
      dhGroup: 2,
      localId: '198.51.100.10',
      remoteId: '203.0.113.7',
      lifetimeSeconds: 86400,
    });
  });

  it('exposes the same defaults as constants', () => {
    expect(IKE_DEFAULTS).toEqual({
      version: 'v2',
      authAlgorithm: 'sha1',
      encryptionAlgorithm: 'aes128',
      exchangeMode: 'main',
      dhGroup: 2,
      lifetimeSeconds: 86400,
    });
  });

  it('defaults the mode to main for IKEv1', () => {
    expect(ok(checkIkePolicy({ version: 'v1' }, IDS)).exchangeMode).toBe('main');
  });

  it('treats an empty id as "use the default"', () => {
    const value = ok(checkIkePolicy({ localId: '', remoteId: '' }, IDS));
    expect(value.localId).toBe(IDS.gatewayIp);
    expect(value.remoteId).toBe(IDS.peerIp);
  });

  it.each([
    ['version', 'v2'],
    ['authAlgorithm', 'sha1'],
    ['encryptionAlgorithm', 'aes128'],
    ['dhGroup', 2],
    ['lifetimeSeconds', 86400],
  ])('null %s means the spec default (%p), also over a stored value', (field, fallback) => {
    expect(ok(checkIkePolicy({ [field]: null }, IDS))[field as keyof IkePolicy]).toBe(fallback);
    expect(ok(checkIkePolicy({ [field]: null }, IDS, storedIke({ version: 'v2', exchangeMode: null })))[field as keyof IkePolicy]).toBe(fallback);
  });

  it('takes the ids from the context it is given', () => {
    const value = ok(checkIkePolicy({}, { gatewayIp: '192.0.2.1', peerIp: '192.0.2.2' }));
    expect([value.localId, value.remoteId]).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('checkIkePolicy accepts every value of the spec table', () => {
  it.each([
    ['version', 'v1'],
    ['version', 'v2'],
    ['authAlgorithm', 'md5'],
    ['authAlgorithm', 'sha1'],
    ['authAlgorithm', 'sha2-256'],
    ['authAlgorithm', 'sha2-384'],
    ['authAlgorithm', 'sha2-512'],
    ['encryptionAlgorithm', '3des'],
    ['encryptionAlgorithm', 'aes128'],
    ['encryptionAlgorithm', 'aes192'],
    ['encryptionAlgorithm', 'aes256'],
    ['encryptionAlgorithm', 'aes128gcm16'],
    ['encryptionAlgorithm', 'aes256gcm16'],
    ['dhGroup', 1],
    ['dhGroup', 2],
    ['dhGroup', 5],
    ['dhGroup', 14],
    ['dhGroup', 24],
    ['dhGroup', 19],
    ['dhGroup', 20],
    ['dhGroup', 21],
    ['dhGroup', 31],
    ['lifetimeSeconds', 3600],
    ['lifetimeSeconds', 3601],
    ['lifetimeSeconds', 28800],
    ['lifetimeSeconds', 86399],
    ['lifetimeSeconds', 86400],
  ])('%s = %p', (field, value) => {
    expect(ok(checkIkePolicy({ [field]: value }, IDS))[field as keyof IkePolicy]).toBe(value);
  });

  it.each(['main', 'aggressive'])('exchangeMode %p with v1', (mode) => {
    expect(ok(checkIkePolicy({ version: 'v1', exchangeMode: mode }, IDS)).exchangeMode).toBe(mode);
  });
});

describe('checkIkePolicy rejects values outside the table', () => {
  it.each([
    ['version', 'v3'],
    ['version', 'V2'],
    ['version', 2],
    ['version', 'ikev2'],
    ['authAlgorithm', 'sha256'],
    ['authAlgorithm', 'sha2-224'],
    ['authAlgorithm', 'SHA1'],
    ['authAlgorithm', ''],
    ['encryptionAlgorithm', 'des'],
    ['encryptionAlgorithm', 'aes'],
    ['encryptionAlgorithm', 'aes-128'],
    ['encryptionAlgorithm', 'aes256gcm'],
    ['encryptionAlgorithm', 'aes128gcm8'],
    ['dhGroup', 0],
    ['dhGroup', 3],
    ['dhGroup', 15],
    ['dhGroup', 30],
    ['dhGroup', '19'],
    ['dhGroup', '2'],
    ['dhGroup', 'modp1024'],
  ])('%s = %p -> one_of on ikePolicy.%s', (field, value) => {
    const violations = bad(checkIkePolicy({ [field]: value }, IDS));
    expect(violations).toEqual([expect.objectContaining({ field: `ikePolicy.${field}`, rule: 'one_of', value })]);
    expect(violations[0].message).toContain(`ikePolicy.${field} must be one of`);
  });

  it.each(['fast', 'Main', 'quick', 1])('exchangeMode %p with v1 -> one_of', (mode) => {
    expect(bad(checkIkePolicy({ version: 'v1', exchangeMode: mode }, IDS))).toEqual([
      expect.objectContaining({ field: 'ikePolicy.exchangeMode', rule: 'one_of', value: mode }),
    ]);
  });

  it('names the fields under a custom prefix', () => {
    expect(bad(checkIkePolicy({ dhGroup: 3 }, IDS, undefined, 'ike'))[0].field).toBe('ike.dhGroup');
  });

  it.each(['aes128gcm16', 'aes256gcm16'])('refuses %s with IKEv1 (AES-GCM exists for IKEv2 only), naming the field and the rule', (enc) => {
    const violations = bad(checkIkePolicy({ version: 'v1', encryptionAlgorithm: enc }, IDS));
    expect(violations).toEqual([expect.objectContaining({ field: 'ikePolicy.encryptionAlgorithm', rule: 'aead_only_for_ikev2', value: enc })]);
    expect(violations[0].message).toMatch(/IKEv2 only.*CBC cipher/);
  });

  it('refuses an edit that switches a stored GCM policy to IKEv1', () => {
    const stored = ok(checkIkePolicy({ encryptionAlgorithm: 'aes256gcm16' }, IDS));
    expect(bad(checkIkePolicy({ version: 'v1' }, IDS, stored))[0].rule).toBe('aead_only_for_ikev2');
  });

  it('reports every broken rule, not only the first', () => {
    const fields = bad(checkIkePolicy({ version: 'v9', authAlgorithm: 'x', encryptionAlgorithm: 'y', dhGroup: 7, lifetimeSeconds: 1 }, IDS)).map(
      (v) => v.field,
    );
    expect(fields.sort()).toEqual(
      ['ikePolicy.authAlgorithm', 'ikePolicy.dhGroup', 'ikePolicy.encryptionAlgorithm', 'ikePolicy.lifetimeSeconds', 'ikePolicy.version'].sort(),
    );
  });
});

describe('lifetimes (both phases): integers from 3600 to 86400 inclusive', () => {
  const invalid: unknown[] = [3599, 86401, 0, -3600, 3600.5, 86399.9, '3600', '86400', NaN, Infinity, true, [3600], { s: 3600 }];

  it.each(invalid)('IKE lifetime %p -> lifetime_range', (value) => {
    expect(bad(checkIkePolicy({ lifetimeSeconds: value }, IDS))).toEqual([
      expect.objectContaining({ field: 'ikePolicy.lifetimeSeconds', rule: 'lifetime_range' }),
    ]);
  });

  it.each(invalid)('IPsec lifetime %p -> lifetime_range', (value) => {
    expect(bad(checkIpsecPolicy({ lifetimeSeconds: value }))).toEqual([
      expect.objectContaining({ field: 'ipsecPolicy.lifetimeSeconds', rule: 'lifetime_range' }),
    ]);
  });

  it('a null lifetime means the spec default 86400 in both phases', () => {
    expect(ok(checkIkePolicy({ lifetimeSeconds: null }, IDS)).lifetimeSeconds).toBe(86400);
    expect(ok(checkIpsecPolicy({ lifetimeSeconds: null }, storedIpsec())).lifetimeSeconds).toBe(86400);
  });

  it.each([3600, 43200, 86400])('IPsec lifetime %p is accepted', (value) => {
    expect(ok(checkIpsecPolicy({ lifetimeSeconds: value })).lifetimeSeconds).toBe(value);
  });
});

describe('exchangeMode is an IKEv1 setting', () => {
  it.each(['main', 'aggressive', 'nonsense'])('exchangeMode %p with v2 -> mode_only_for_ikev1', (mode) => {
    expect(bad(checkIkePolicy({ version: 'v2', exchangeMode: mode }, IDS))).toEqual([
      expect.objectContaining({ field: 'ikePolicy.exchangeMode', rule: 'mode_only_for_ikev1', value: mode }),
    ]);
  });

  it('also with the default version', () => {
    expect(bad(checkIkePolicy({ exchangeMode: 'main' }, IDS))[0].rule).toBe('mode_only_for_ikev1');
  });

  it('null with v2 is the same as leaving it out', () => {
    expect(ok(checkIkePolicy({ version: 'v2', exchangeMode: null }, IDS)).exchangeMode).toBeNull();
  });

  it('v2 stores no mode', () => {
    expect(ok(checkIkePolicy({ version: 'v2' }, IDS)).exchangeMode).toBeNull();
  });
});

describe('IKE identities: IP or FQDN', () => {
  it.each(['192.0.2.1', 'vpn.example.com', 'gw-1.office.example.org.'])('accepts %p for both ids', (id) => {
    const value = ok(checkIkePolicy({ localId: id, remoteId: id }, IDS));
    expect([value.localId, value.remoteId]).toEqual([id, id]);
  });

  it.each(['localhost', 'user@example.com', '1.2.3', '256.1.1.1', 'bad_name.example.com', 'has space.com', 42, true, { id: 'x' }])(
    'rejects %p with ip_or_fqdn',
    (id) => {
      for (const field of ['localId', 'remoteId']) {
        expect(bad(checkIkePolicy({ [field]: id }, IDS))).toEqual([expect.objectContaining({ field: `ikePolicy.${field}`, rule: 'ip_or_fqdn', value: id })]);
      }
    },
  );
});

describe('a 0.0.0.0 peer ("any address")', () => {
  it('requires a real remoteId: the default 0.0.0.0 is refused', () => {
    expect(bad(checkIkePolicy({}, ANY_PEER))).toEqual([expect.objectContaining({ field: 'ikePolicy.remoteId', rule: 'remote_id_required_for_any_peer' })]);
  });

  it.each(['0.0.0.0', ''])('refuses remoteId %p', (remoteId) => {
    expect(bad(checkIkePolicy({ remoteId }, ANY_PEER)).map((v) => v.rule)).toContain('remote_id_required_for_any_peer');
  });

  it.each(['198.18.7.7', 'branch.example.com'])('accepts a real remoteId %p', (remoteId) => {
    expect(ok(checkIkePolicy({ remoteId }, ANY_PEER)).remoteId).toBe(remoteId);
  });

  it('accepts an edit that keeps the stored real remoteId', () => {
    expect(ok(checkIkePolicy({ dhGroup: 5 }, ANY_PEER, storedIke({ remoteId: 'branch.example.com' }))).remoteId).toBe('branch.example.com');
  });

  it('the rule keys on the peer address: a real peer is not held to it', () => {
    expect(ok(checkIkePolicy({ remoteId: '0.0.0.0' }, IDS)).remoteId).toBe('0.0.0.0');
  });
});

describe('editing an IKE policy (`current` given)', () => {
  it('keeps every field the input leaves out', () => {
    expect(ok(checkIkePolicy({}, IDS, storedIke()))).toEqual(storedIke());
  });

  it('changes only the fields given', () => {
    expect(ok(checkIkePolicy({ dhGroup: 5, lifetimeSeconds: 3600 }, IDS, storedIke()))).toEqual(storedIke({ dhGroup: 5, lifetimeSeconds: 3600 }));
  });

  it('keeps stored ids rather than falling back to the addresses', () => {
    const value = ok(checkIkePolicy({ authAlgorithm: 'sha1' }, IDS, storedIke()));
    expect([value.localId, value.remoteId]).toEqual(['gw.example.com', 'office.example.net']);
  });

  it('switching v1 -> v2 drops the mode', () => {
    const value = ok(checkIkePolicy({ version: 'v2' }, IDS, storedIke({ exchangeMode: 'aggressive' })));
    expect(value.version).toBe('v2');
    expect(value.exchangeMode).toBeNull();
  });

  it('switching v2 -> v1 defaults the mode to main', () => {
    const value = ok(checkIkePolicy({ version: 'v1' }, IDS, storedIke({ version: 'v2', exchangeMode: null })));
    expect(value.exchangeMode).toBe('main');
  });

  it('keeps a stored aggressive mode while staying on v1', () => {
    expect(ok(checkIkePolicy({ dhGroup: 2 }, IDS, storedIke())).exchangeMode).toBe('aggressive');
  });

  it('still validates the new values', () => {
    expect(bad(checkIkePolicy({ encryptionAlgorithm: 'blowfish' }, IDS, storedIke()))[0]).toMatchObject({
      field: 'ikePolicy.encryptionAlgorithm',
      rule: 'one_of',
    });
  });
});

describe('checkIpsecPolicy', () => {
  it('fills exactly the spec defaults: ESP sha1 aes128 PFS 2 86400 s', () => {
    expect(ok(checkIpsecPolicy({}))).toEqual({ protocol: 'esp', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes128', pfsGroup: 2, lifetimeSeconds: 86400 });
    expect(IPSEC_DEFAULTS).toEqual({ protocol: 'esp', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes128', pfsGroup: 2, lifetimeSeconds: 86400 });
  });

  it.each([
    ['protocol', 'esp'],
    ['protocol', 'ah'],
    ['authAlgorithm', 'md5'],
    ['authAlgorithm', 'sha1'],
    ['authAlgorithm', 'sha2-256'],
    ['authAlgorithm', 'sha2-384'],
    ['authAlgorithm', 'sha2-512'],
    ['encryptionAlgorithm', '3des'],
    ['encryptionAlgorithm', 'aes128'],
    ['encryptionAlgorithm', 'aes192'],
    ['encryptionAlgorithm', 'aes256'],
    ['encryptionAlgorithm', 'aes128gcm16'],
    ['encryptionAlgorithm', 'aes256gcm16'],
    ['pfsGroup', 1],
    ['pfsGroup', 2],
    ['pfsGroup', 5],
    ['pfsGroup', 14],
    ['pfsGroup', 24],
    ['pfsGroup', 19],
    ['pfsGroup', 20],
    ['pfsGroup', 21],
    ['pfsGroup', 31],
    ['pfsGroup', 'disable'],
  ])('accepts %s = %p', (field, value) => {
    expect(ok(checkIpsecPolicy({ [field]: value }))[field as keyof IpsecPolicy]).toBe(value);
  });

  it.each([
    ['protocol', 'esp+ah'],
    ['protocol', 'ESP'],
    ['protocol', 'gre'],
    ['authAlgorithm', 'sha256'],
    ['authAlgorithm', 'sha2-224'],
    ['encryptionAlgorithm', 'null'],
    ['encryptionAlgorithm', 'aes'],
    ['pfsGroup', 'disabled'],
    ['pfsGroup', 'none'],
    ['pfsGroup', 0],
    ['pfsGroup', 3],
    ['pfsGroup', '2'],
    ['pfsGroup', false],
  ])('rejects %s = %p with one_of on ipsecPolicy.%s', (field, value) => {
    expect(bad(checkIpsecPolicy({ [field]: value }))).toEqual([expect.objectContaining({ field: `ipsecPolicy.${field}`, rule: 'one_of', value })]);
  });

  it('names the fields under a custom prefix', () => {
    expect(bad(checkIpsecPolicy({ pfsGroup: 3 }, undefined, 'p2'))[0].field).toBe('p2.pfsGroup');
  });

  describe('AH authenticates only', () => {
    it('stores encryptionAlgorithm null', () => {
      expect(ok(checkIpsecPolicy({ protocol: 'ah' }))).toEqual({
        protocol: 'ah',
        authAlgorithm: 'sha1',
        encryptionAlgorithm: null,
        pfsGroup: 2,
        lifetimeSeconds: 86400,
      });
    });

    it.each(['aes128', '3des', 'nonsense'])('refuses encryptionAlgorithm %p with no_encryption_with_ah', (enc) => {
      expect(bad(checkIpsecPolicy({ protocol: 'ah', encryptionAlgorithm: enc }))).toEqual([
        expect.objectContaining({ field: 'ipsecPolicy.encryptionAlgorithm', rule: 'no_encryption_with_ah', value: enc }),
      ]);
    });

    it('accepts an explicit null encryptionAlgorithm', () => {
      expect(ok(checkIpsecPolicy({ protocol: 'ah', encryptionAlgorithm: null })).encryptionAlgorithm).toBeNull();
    });

    it('switching a stored ESP policy to AH drops its encryption', () => {
      expect(ok(checkIpsecPolicy({ protocol: 'ah' }, storedIpsec())).encryptionAlgorithm).toBeNull();
    });

    it('switching a stored AH policy to ESP gets the default encryption', () => {
      expect(ok(checkIpsecPolicy({ protocol: 'esp' }, storedIpsec({ protocol: 'ah', encryptionAlgorithm: null }))).encryptionAlgorithm).toBe('aes128');
    });
  });

  describe('ESP with AES-GCM has no separate integrity algorithm', () => {
    it('stores authAlgorithm null', () => {
      expect(ok(checkIpsecPolicy({ encryptionAlgorithm: 'aes256gcm16', pfsGroup: 20 }))).toEqual({
        protocol: 'esp',
        authAlgorithm: null,
        encryptionAlgorithm: 'aes256gcm16',
        pfsGroup: 20,
        lifetimeSeconds: 86400,
      });
    });

    it('refuses an explicit authAlgorithm with no_integrity_with_aead', () => {
      expect(bad(checkIpsecPolicy({ encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha1' }))).toEqual([
        expect.objectContaining({ field: 'ipsecPolicy.authAlgorithm', rule: 'no_integrity_with_aead', value: 'sha1' }),
      ]);
    });

    it('switching a stored CBC policy to GCM drops its integrity; back to CBC gets the default', () => {
      const gcm = ok(checkIpsecPolicy({ encryptionAlgorithm: 'aes256gcm16' }, storedIpsec()));
      expect(gcm.authAlgorithm).toBeNull();
      expect(ok(checkIpsecPolicy({ encryptionAlgorithm: 'aes256' }, gcm)).authAlgorithm).toBe('sha1');
    });

    it('AH keeps its integrity (GCM is an ESP cipher)', () => {
      expect(ok(checkIpsecPolicy({ protocol: 'ah', authAlgorithm: 'sha2-512' }, ok(checkIpsecPolicy({ encryptionAlgorithm: 'aes256gcm16' }))))).toMatchObject({
        protocol: 'ah',
        authAlgorithm: 'sha2-512',
        encryptionAlgorithm: null,
      });
    });
  });

  it('editing keeps every field the input leaves out', () => {
    expect(ok(checkIpsecPolicy({}, storedIpsec()))).toEqual(storedIpsec());
    expect(ok(checkIpsecPolicy({ pfsGroup: 'disable' }, storedIpsec()))).toEqual(storedIpsec({ pfsGroup: 'disable' }));
  });

  it('editing validates new values', () => {
    expect(bad(checkIpsecPolicy({ lifetimeSeconds: 100 }, storedIpsec()))[0].rule).toBe('lifetime_range');
  });
});

describe('proposal strings', () => {
  const ike = (over: Partial<IkePolicy> = {}): IkePolicy => ok(checkIkePolicy(over, IDS));
  const esp = (over: Partial<IpsecPolicy> = {}): IpsecPolicy => ok(checkIpsecPolicy(over));

  it('defaults give the seed proposal aes128-sha1-modp1024 for both phases', () => {
    expect(ikeProposal(ike())).toBe('aes128-sha1-modp1024');
    expect(childProposal(esp())).toBe('aes128-sha1-modp1024');
  });

  it.each([
    [{ authAlgorithm: 'sha2-256' }, 'aes128-sha256-modp1024'],
    [{ authAlgorithm: 'md5' }, 'aes128-md5-modp1024'],
    [{ encryptionAlgorithm: '3des' }, '3des-sha1-modp1024'],
    [{ encryptionAlgorithm: 'aes256', dhGroup: 14 }, 'aes256-sha1-modp2048'],
    [{ encryptionAlgorithm: 'aes192', dhGroup: 5 }, 'aes192-sha1-modp1536'],
    [{ dhGroup: 1 }, 'aes128-sha1-modp768'],
    [{ dhGroup: 24 }, 'aes128-sha1-modp2048s256'],
    [{ authAlgorithm: 'sha2-384', encryptionAlgorithm: 'aes256', dhGroup: 20 }, 'aes256-sha384-ecp384'],
    [{ authAlgorithm: 'sha2-512', dhGroup: 21 }, 'aes128-sha512-ecp521'],
    [{ dhGroup: 19 }, 'aes128-sha1-ecp256'],
    [{ dhGroup: 31 }, 'aes128-sha1-curve25519'],
    // AES-GCM: the hash is the PRF only.
    [{ encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-384', dhGroup: 20 }, 'aes256gcm16-prfsha384-ecp384'],
    [{ encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha2-256', dhGroup: 19 }, 'aes128gcm16-prfsha256-ecp256'],
  ] as [Partial<IkePolicy>, string][])('IKE %p -> %s', (over, proposal) => {
    expect(ikeProposal(ike(over))).toBe(proposal);
  });

  it.each([
    [{ pfsGroup: 'disable' }, 'aes128-sha1'],
    [{ pfsGroup: 5 }, 'aes128-sha1-modp1536'],
    [{ pfsGroup: 24 }, 'aes128-sha1-modp2048s256'],
    [{ authAlgorithm: 'md5', encryptionAlgorithm: 'aes256' }, 'aes256-md5-modp1024'],
    [{ protocol: 'ah' }, 'sha1-modp1024'],
    [{ protocol: 'ah', pfsGroup: 'disable' }, 'sha1'],
    [{ protocol: 'ah', authAlgorithm: 'md5', pfsGroup: 14 }, 'md5-modp2048'],
    [{ authAlgorithm: 'sha2-256', pfsGroup: 19 }, 'aes128-sha256-ecp256'],
    [{ protocol: 'ah', authAlgorithm: 'sha2-512', pfsGroup: 31 }, 'sha512-curve25519'],
    [{ encryptionAlgorithm: 'aes256gcm16', pfsGroup: 20 }, 'aes256gcm16-ecp384'],
    [{ encryptionAlgorithm: 'aes128gcm16', pfsGroup: 'disable' }, 'aes128gcm16'],
  ] as [Partial<IpsecPolicy>, string][])('child %p -> %s', (over, proposal) => {
    expect(childProposal(esp(over))).toBe(proposal);
  });

  it('maps every DH group to its strongSwan keyword', () => {
    expect(DH_KEYWORD).toEqual({
      1: 'modp768',
      2: 'modp1024',
      5: 'modp1536',
      14: 'modp2048',
      24: 'modp2048s256',
      19: 'ecp256',
      20: 'ecp384',
      21: 'ecp521',
      31: 'curve25519',
    });
  });
});

describe('weak choices (issue 16)', () => {
  const ike = (over: Partial<IkePolicy> = {}): IkePolicy => ok(checkIkePolicy(over, IDS));
  const ipsec = (over: Partial<IpsecPolicy> = {}): IpsecPolicy => ok(checkIpsecPolicy(over));

  it('flags the spec defaults: sha1 and DH 2 in both phases', () => {
    expect(weakChoices(ike(), ipsec()).map((w) => `${w.field}=${w.value}`)).toEqual([
      'ikePolicy.authAlgorithm=sha1',
      'ikePolicy.dhGroup=2',
      'ipsecPolicy.authAlgorithm=sha1',
      'ipsecPolicy.pfsGroup=2',
    ]);
  });

  it.each([
    [{ authAlgorithm: 'md5' }, 'ikePolicy.authAlgorithm', /MD5/],
    [{ encryptionAlgorithm: '3des' }, 'ikePolicy.encryptionAlgorithm', /Sweet32/],
    [{ dhGroup: 1 }, 'ikePolicy.dhGroup', /modp768/],
    [{ dhGroup: 5 }, 'ikePolicy.dhGroup', /modp1536/],
    [{ dhGroup: 24 }, 'ikePolicy.dhGroup', /DH 24/],
  ] as [Partial<IkePolicy>, string, RegExp][])('IKE %p is weak (%s)', (over, field, reason) => {
    const sound = ike({ authAlgorithm: 'sha2-256', dhGroup: 14, ...over });
    const weak = weakChoices(sound, ipsec({ authAlgorithm: 'sha2-256', pfsGroup: 14 }));
    expect(weak).toEqual([{ field, value: Object.values(over)[0], reason: expect.stringMatching(reason) }]);
  });

  it('flags phase 2 alone: md5, 3des, PFS 5; AH has no cipher, PFS off and GCM have nothing to flag', () => {
    const sound = ike({ authAlgorithm: 'sha2-512', dhGroup: 20 });
    expect(weakChoices(sound, ipsec({ authAlgorithm: 'md5', encryptionAlgorithm: '3des', pfsGroup: 5 })).map((w) => w.field)).toEqual([
      'ipsecPolicy.authAlgorithm',
      'ipsecPolicy.encryptionAlgorithm',
      'ipsecPolicy.pfsGroup',
    ]);
    expect(weakChoices(sound, ipsec({ protocol: 'ah', authAlgorithm: 'sha2-384', pfsGroup: 'disable' }))).toEqual([]);
    expect(weakChoices(sound, ipsec({ encryptionAlgorithm: 'aes256gcm16', pfsGroup: 31 }))).toEqual([]);
  });

  it.each(['v1', 'v2'] as const)('the recommended %s preset is valid for its version and flags nothing', (version) => {
    const r = RECOMMENDED[version];
    const p1 = ike({ version, ...r.ike });
    const { authAlgorithm, ...p2input } = r.ipsec;
    const p2 = ipsec(authAlgorithm ? r.ipsec : p2input);
    expect(weakChoices(p1, p2)).toEqual([]);
  });
});

describe('several proposals per phase (issue 16)', () => {
  const second = { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14 };

  it('one proposal keeps the stored shape of before: no additionalProposals key', () => {
    expect(ok(checkIkePolicy({}, IDS))).not.toHaveProperty('additionalProposals');
    expect(ok(checkIkePolicy({ additionalProposals: [] }, IDS))).not.toHaveProperty('additionalProposals');
    expect(ok(checkIpsecPolicy({ additionalProposals: null }))).not.toHaveProperty('additionalProposals');
  });

  it('stores further IKE proposals in order and renders them as a strongSwan list after the first', () => {
    const third = { encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha2-512', dhGroup: 31 };
    const ike = ok(checkIkePolicy({ additionalProposals: [second, third] }, IDS));
    expect(ike.additionalProposals).toEqual([second, third]);
    expect(ikeProposalList(ike)).toEqual(['aes128-sha1-modp1024', 'aes256-sha256-modp2048', 'aes128gcm16-prfsha512-curve25519']);
  });

  it('an edit that leaves them out keeps them; null clears them', () => {
    const stored = ok(checkIkePolicy({ additionalProposals: [second] }, IDS));
    expect(ok(checkIkePolicy({ dhGroup: 19 }, IDS, stored)).additionalProposals).toEqual([second]);
    expect(ok(checkIkePolicy({ additionalProposals: null }, IDS, stored))).not.toHaveProperty('additionalProposals');
  });

  it.each([
    [{ additionalProposals: 'aes256' }, 'ikePolicy.additionalProposals', 'proposal_list'],
    [
      { additionalProposals: [second, { ...second, dhGroup: 19 }, { ...second, dhGroup: 20 }, { ...second, dhGroup: 21 }, { ...second, dhGroup: 31 }] },
      'ikePolicy.additionalProposals',
      'proposal_list',
    ],
    [{ additionalProposals: [7] }, 'ikePolicy.additionalProposals.0', 'proposal_object'],
    [{ additionalProposals: [{ encryptionAlgorithm: 'aes256', dhGroup: 14 }] }, 'ikePolicy.additionalProposals.0.authAlgorithm', 'required'],
    [{ additionalProposals: [{ ...second, dhGroup: 3 }] }, 'ikePolicy.additionalProposals.0.dhGroup', 'one_of'],
    [{ additionalProposals: [second, second] }, 'ikePolicy.additionalProposals.1', 'duplicate_proposal'],
    [{ additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', dhGroup: 2 }] }, 'ikePolicy.additionalProposals.0', 'duplicate_proposal'],
    [
      { version: 'v1', additionalProposals: [{ ...second, encryptionAlgorithm: 'aes256gcm16' }] },
      'ikePolicy.additionalProposals.0.encryptionAlgorithm',
      'aead_only_for_ikev2',
    ],
    [{ version: 'v1', exchangeMode: 'aggressive', additionalProposals: [second] }, 'ikePolicy.additionalProposals', 'one_proposal_in_aggressive_mode'],
  ] as [Record<string, unknown>, string, string][])('IKE %p -> %s %s', (input, field, rule) => {
    expect(bad(checkIkePolicy(input, IDS))).toEqual([expect.objectContaining({ field, rule })]);
  });

  it('IPsec: ESP proposals follow the GCM rule, AH ones carry no cipher; rendered in order', () => {
    const esp = ok(
      checkIpsecPolicy({
        encryptionAlgorithm: 'aes256gcm16',
        pfsGroup: 20,
        additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha2-256', pfsGroup: 20 }],
      }),
    );
    expect(childProposalList(esp)).toEqual(['aes256gcm16-ecp384', 'aes128-sha256-ecp384']);
    expect(bad(checkIpsecPolicy({ additionalProposals: [{ encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha1', pfsGroup: 2 }] }))).toEqual([
      expect.objectContaining({ field: 'ipsecPolicy.additionalProposals.0.authAlgorithm', rule: 'no_integrity_with_aead' }),
    ]);
    const ah = ok(checkIpsecPolicy({ protocol: 'ah', additionalProposals: [{ authAlgorithm: 'sha2-512', pfsGroup: 'disable' }] }));
    expect(childProposalList(ah)).toEqual(['sha1-modp1024', 'sha512']);
    expect(bad(checkIpsecPolicy({ protocol: 'ah', additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'md5', pfsGroup: 2 }] }))[0].rule).toBe(
      'no_encryption_with_ah',
    );
  });

  it('flags weak choices in every proposal, naming its index', () => {
    const ike = ok(
      checkIkePolicy(
        { authAlgorithm: 'sha2-256', dhGroup: 14, additionalProposals: [{ encryptionAlgorithm: '3des', authAlgorithm: 'sha2-256', dhGroup: 14 }] },
        IDS,
      ),
    );
    const ipsec = ok(checkIpsecPolicy({ authAlgorithm: 'sha2-256', pfsGroup: 14 }));
    expect(weakChoices(ike, ipsec).map((w) => w.field)).toEqual(['ikePolicy.additionalProposals.0.encryptionAlgorithm']);
  });
});
