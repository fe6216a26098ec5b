import { describe, expect, it } from 'vitest';
import { RECOMMENDED } from '../../shared';
import { ikeBody, ipsecBody, weakLabels } from './policyFields';

describe('policy bodies sent to the API', () => {
  it('ESP with AES-GCM sends no authAlgorithm (GCM authenticates itself; the API refuses one)', () => {
    expect(ipsecBody({ protocol: 'esp', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes256gcm16', pfsGroup: 20, lifetimeSeconds: 3600 })).toEqual({
      protocol: 'esp',
      encryptionAlgorithm: 'aes256gcm16',
      pfsGroup: 20,
      lifetimeSeconds: 3600,
      additionalProposals: [],
    });
  });

  it('ESP with a CBC cipher sends its integrity, AH sends no encryption', () => {
    expect(ipsecBody({ protocol: 'esp', authAlgorithm: 'sha2-512', encryptionAlgorithm: 'aes256', pfsGroup: 31, lifetimeSeconds: 3600 })).toMatchObject({
      authAlgorithm: 'sha2-512',
      encryptionAlgorithm: 'aes256',
    });
    expect(ipsecBody({ protocol: 'ah', authAlgorithm: 'sha2-384', encryptionAlgorithm: null, pfsGroup: 19, lifetimeSeconds: 3600 })).toEqual({
      protocol: 'ah',
      authAlgorithm: 'sha2-384',
      pfsGroup: 19,
      lifetimeSeconds: 3600,
      additionalProposals: [],
    });
  });

  it('IKEv2 AES-GCM keeps its PRF in authAlgorithm', () => {
    expect(
      ikeBody({ version: 'v2', authAlgorithm: 'sha2-384', encryptionAlgorithm: 'aes256gcm16', exchangeMode: null, dhGroup: 20, lifetimeSeconds: 86400 }),
    ).toEqual({
      version: 'v2',
      authAlgorithm: 'sha2-384',
      encryptionAlgorithm: 'aes256gcm16',
      dhGroup: 20,
      lifetimeSeconds: 86400,
      additionalProposals: [],
    });
  });

  it('additional proposals go in order, each in the shape its phase takes (no integrity with GCM, no encryption with AH)', () => {
    expect(
      ikeBody({
        version: 'v2',
        authAlgorithm: 'sha2-256',
        encryptionAlgorithm: 'aes256gcm16',
        exchangeMode: null,
        dhGroup: 19,
        lifetimeSeconds: 86400,
        additionalProposals: [
          { encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', dhGroup: 2 },
          { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 14 },
        ],
      }).additionalProposals,
    ).toEqual([
      { encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', dhGroup: 2 },
      { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 14 },
    ]);
    expect(
      ipsecBody({
        protocol: 'esp',
        encryptionAlgorithm: 'aes256gcm16',
        authAlgorithm: null,
        pfsGroup: 19,
        lifetimeSeconds: 3600,
        additionalProposals: [
          { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha1', pfsGroup: 2 },
          { encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha1', pfsGroup: 'disable' },
        ],
      }).additionalProposals,
    ).toEqual([
      { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha1', pfsGroup: 2 },
      { encryptionAlgorithm: 'aes128gcm16', pfsGroup: 'disable' },
    ]);
    expect(
      ipsecBody({
        protocol: 'ah',
        authAlgorithm: 'sha2-256',
        pfsGroup: 14,
        lifetimeSeconds: 3600,
        additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', pfsGroup: 2 }],
      }).additionalProposals,
    ).toEqual([{ authAlgorithm: 'sha1', pfsGroup: 2 }]);
  });
});

describe('weak-crypto warning and the recommended preset', () => {
  it('names the weak values of a phase (the spec defaults are weak)', () => {
    expect(weakLabels({ auth: 'sha1', encryption: 'aes128', group: 2 })).toEqual(['sha1', 'DH 2']);
    expect(weakLabels({ auth: 'md5', encryption: '3des', group: 24 })).toEqual(['md5', '3des', 'DH 24']);
    expect(weakLabels({ auth: 'sha2-256', encryption: 'aes256gcm16', group: 19 })).toEqual([]);
    expect(weakLabels({ auth: null, encryption: null, group: 'disable' })).toEqual([]);
  });

  it.each(['v1', 'v2'] as const)('the %s preset has nothing weak, and IKEv1 gets no IKE GCM', (v) => {
    const r = RECOMMENDED[v];
    expect(weakLabels({ auth: r.ike.authAlgorithm, encryption: r.ike.encryptionAlgorithm, group: r.ike.dhGroup })).toEqual([]);
    expect(weakLabels({ auth: r.ipsec.authAlgorithm, encryption: r.ipsec.encryptionAlgorithm, group: r.ipsec.pfsGroup })).toEqual([]);
    if (v === 'v1') expect(r.ike.encryptionAlgorithm).not.toMatch(/gcm/);
  });
});
