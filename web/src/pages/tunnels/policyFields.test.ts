import { describe, expect, it } from 'vitest';
import { ikeBody, ipsecBody } from './policyFields';

describe('policy bodies sent to the API', () => {
  it('ESP with AES-GCM sends no authAlgorithm (GCM authenticates itself; the API refuses one)', () => {
    expect(ipsecBody({ protocol: 'esp', authAlgorithm: 'sha1', encryptionAlgorithm: 'aes256gcm16', pfsGroup: 20, lifetimeSeconds: 3600 })).toEqual({
      protocol: 'esp', encryptionAlgorithm: 'aes256gcm16', pfsGroup: 20, lifetimeSeconds: 3600,
    });
  });

  it('ESP with a CBC cipher sends its integrity, AH sends no encryption', () => {
    expect(ipsecBody({ protocol: 'esp', authAlgorithm: 'sha2-512', encryptionAlgorithm: 'aes256', pfsGroup: 31, lifetimeSeconds: 3600 })).toMatchObject({ authAlgorithm: 'sha2-512', encryptionAlgorithm: 'aes256' });
    expect(ipsecBody({ protocol: 'ah', authAlgorithm: 'sha2-384', encryptionAlgorithm: null, pfsGroup: 19, lifetimeSeconds: 3600 })).toEqual({
      protocol: 'ah', authAlgorithm: 'sha2-384', pfsGroup: 19, lifetimeSeconds: 3600,
    });
  });

  it('IKEv2 AES-GCM keeps its PRF in authAlgorithm', () => {
    expect(ikeBody({ version: 'v2', authAlgorithm: 'sha2-384', encryptionAlgorithm: 'aes256gcm16', exchangeMode: null, dhGroup: 20, lifetimeSeconds: 86400 })).toEqual({
      version: 'v2', authAlgorithm: 'sha2-384', encryptionAlgorithm: 'aes256gcm16', dhGroup: 20, lifetimeSeconds: 86400,
    });
  });
});
