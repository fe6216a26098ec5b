// The inputs of the golden files (and of the real-strongSwan e2e check): one tunnel per IKE/IPsec
// combination that matters. Test data only.
import { IKE_DEFAULTS, IPSEC_DEFAULTS, IkePolicy, IpsecPolicy } from '../../policy/policy';
import { RenderableTunnel } from '../tunnel-model';

export type TunnelOverrides = Partial<Omit<RenderableTunnel, 'ike' | 'ipsec'>> & { ike?: Partial<IkePolicy>; ipsec?: Partial<IpsecPolicy> };

export function tunnel(over: TunnelOverrides = {}): RenderableTunnel {
  const gatewayIp = over.gatewayIp ?? '198.51.100.10';
  const peerIp = over.peerIp ?? '203.0.113.20';
  return {
    id: 'vpntnl-k3j9x2ab',
    name: 'office link',
    localCidrs: ['10.0.192.0/20'],
    remoteCidrs: ['10.23.0.0/16'],
    psk: 'ucloud.1231',
    ...over,
    gatewayIp,
    peerIp,
    ike: { ...IKE_DEFAULTS, exchangeMode: null, localId: gatewayIp, remoteId: peerIp, ...over.ike },
    ipsec: { ...IPSEC_DEFAULTS, ...over.ipsec },
  };
}

const v1 = { version: 'v1', exchangeMode: 'main' } as const;

export const CASES: Record<string, RenderableTunnel> = {
  'ikev2-defaults': tunnel({}),
  // The seed's public-cloud scenario: IKEv1 main, one local and two remote subnets.
  'ikev1-main-two-remotes': tunnel({ ike: v1, remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'] }),
  'ikev1-aggressive-fqdn': tunnel({ ike: { ...v1, exchangeMode: 'aggressive', remoteId: 'office.example.net' } }),
  'ikev2-ah': tunnel({ ipsec: { protocol: 'ah', encryptionAlgorithm: null } }),
  'ikev2-pfs-disabled': tunnel({ ipsec: { pfsGroup: 'disable' } }),
  'ikev2-dh14-aes256-sha256': tunnel({
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14, lifetimeSeconds: 28800 },
    ipsec: { encryptionAlgorithm: 'aes256', pfsGroup: 14, lifetimeSeconds: 3600 },
    localCidrs: ['10.0.192.0/20', '10.0.208.0/24'],
    remoteCidrs: ['172.16.0.0/16', '192.168.10.0/24'],
  }),
  'ikev2-dh24': tunnel({ ike: { dhGroup: 24 }, ipsec: { pfsGroup: 24 } }),
  'ikev1-3des-md5-dh5': tunnel({
    ike: { ...v1, encryptionAlgorithm: '3des', authAlgorithm: 'md5', dhGroup: 5 },
    ipsec: { encryptionAlgorithm: '3des', authAlgorithm: 'md5', pfsGroup: 5 },
  }),
  // Issue 16: AES-GCM, SHA-2 384/512 and the elliptic-curve groups.
  'ikev2-gcm256-prfsha384-dh20': tunnel({
    ike: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-384', dhGroup: 20 },
    ipsec: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: null, pfsGroup: 20 },
  }),
  'ikev2-curve25519-sha512': tunnel({
    ike: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 31 },
    ipsec: { encryptionAlgorithm: 'aes128gcm16', authAlgorithm: null, pfsGroup: 31 },
  }),
  'ikev1-aes256-sha512-dh14-esp-sha256': tunnel({
    ike: { ...v1, encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-512', dhGroup: 14 },
    ipsec: { encryptionAlgorithm: 'aes128', authAlgorithm: 'sha2-256', pfsGroup: 14 },
  }),
  'ikev2-gcm128-dh21-ah-sha384-pfs19': tunnel({
    ike: { encryptionAlgorithm: 'aes128gcm16', authAlgorithm: 'sha2-256', dhGroup: 21 },
    ipsec: { protocol: 'ah', encryptionAlgorithm: null, authAlgorithm: 'sha2-384', pfsGroup: 19 },
  }),
  // Several proposals per phase, offered in order.
  'ikev2-two-proposals-each': tunnel({
    ike: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: 'sha2-384', dhGroup: 20, additionalProposals: [{ encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14 }] },
    ipsec: { encryptionAlgorithm: 'aes256gcm16', authAlgorithm: null, pfsGroup: 14, additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', pfsGroup: 14 }] },
  }),
  'ikev1-main-two-proposals-each': tunnel({
    ike: { ...v1, encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 14, additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', dhGroup: 5 }] },
    ipsec: { encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', pfsGroup: 14, additionalProposals: [{ encryptionAlgorithm: 'aes128', authAlgorithm: 'sha1', pfsGroup: 14 }] },
  }),
  'ikev2-three-esp-proposals': tunnel({
    ipsec: { additionalProposals: [{ encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', pfsGroup: 2 }, { encryptionAlgorithm: '3des', authAlgorithm: 'md5', pfsGroup: 2 }] },
  }),
  // A known peer, but the platform never initiates: only the remote brings the tunnel up (and back).
  'ikev2-response-only': tunnel({ initiatorMode: 'response-only' }),
  'ikev2-any-peer': tunnel({ peerIp: '0.0.0.0', ike: { remoteId: '203.0.113.77' } }),
  // 2x2 subnets under IKEv1 behind a 0.0.0.0 peer, and a PSK that cannot be double-quoted.
  'ikev1-any-peer-2x2-hex-psk': tunnel({
    peerIp: '0.0.0.0',
    ike: { ...v1, remoteId: 'branch.example.org' },
    localCidrs: ['10.0.192.0/20', '10.0.208.0/24'],
    remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'],
    psk: 'a"b\\c#d\'e',
  }),
  // Issue 16's tunnel options: DPD timers and action, IKE fragmentation off, a TCP MSS clamp.
  'ikev2-dpd-hold-20-60-nofrag-mss1360': tunnel({ options: { dpd: { delaySeconds: 20, timeoutSeconds: 60, action: 'hold' }, ikeFragmentation: false, tcpMssClamp: 1360 } }),
  // Shorter than a router's shortest DPD interval (10 s), IKEv1's dpd_timeout, two remote subnets.
  'ikev1-dpd-clear-3-10-mss1300': tunnel({
    ike: v1,
    remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'],
    options: { dpd: { delaySeconds: 3, timeoutSeconds: 10, action: 'clear' }, ikeFragmentation: true, tcpMssClamp: 1300 },
  }),
};
