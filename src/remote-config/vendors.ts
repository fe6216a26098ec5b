// The remote-device configurations the console offers, one renderer per vendor. The API's
// `?vendor=` values and the vendor list come from here. Pure.
import { renderConfigBundle, Side } from '../strongswan/ipsec-conf';
import { RenderableTunnel } from '../strongswan/tunnel-model';
import { renderCiscoIos } from './cisco-ios';
import { renderHuaweiVrp } from './huawei-vrp';
import { renderLibreswanBundle } from './libreswan-conf';
import { renderSwanctlConf } from './swanctl-conf';

export const VENDOR_IDS = ['strongswan-ipsec', 'strongswan-swanctl', 'libreswan', 'cisco-ios', 'huawei'] as const;
export type VendorId = (typeof VENDOR_IDS)[number];
export const DEFAULT_VENDOR: VendorId = 'strongswan-ipsec';

export interface RemoteConfigVendor {
  id: VendorId;
  name: string;
  /** `{tunnelId}` is replaced by the tunnel's id (and `{side}` by the side, strongswan-ipsec only). */
  fileNamePattern: string;
  extension: string;
  contentType: string;
  versions: string;
  notes: string;
  /** Whether `side=platform` is offered (only the seed's ipsec.conf has a platform view). */
  sides: Side[];
}

export const VENDORS: readonly RemoteConfigVendor[] = [
  {
    id: 'strongswan-ipsec',
    name: 'strongSwan (ipsec.conf, legacy starter)',
    fileNamePattern: '{tunnelId}-{side}.conf',
    extension: 'conf',
    contentType: 'text/plain; charset=utf-8',
    versions: 'strongSwan 5.x with the starter (`ipsec` command)',
    notes:
      "The seed's format. side=remote (default) is ready for the remote device; side=platform is the platform's view. The ipsec.secrets line is at the end, commented out.",
    sides: ['remote', 'platform'],
  },
  {
    id: 'strongswan-swanctl',
    name: 'strongSwan (swanctl.conf)',
    fileNamePattern: '{tunnelId}-swanctl.conf',
    extension: 'conf',
    contentType: 'text/plain; charset=utf-8',
    versions: 'strongSwan 5.2 or later (charon / charon-systemd with the vici plugin, `swanctl`)',
    notes: 'connections {} and secrets {} in one file for /etc/swanctl/conf.d/; load with `swanctl --load-all`.',
    sides: ['remote'],
  },
  {
    id: 'libreswan',
    name: 'libreswan (ipsec.conf)',
    fileNamePattern: '{tunnelId}-libreswan.conf',
    extension: 'conf',
    contentType: 'text/plain; charset=utf-8',
    versions: 'libreswan 3.x and 4.x (checked with 4.10)',
    notes:
      'A conn for /etc/ipsec.d/ and a commented secrets line. libreswan 4.x has no DH groups 1 and 2 and, by default, no 24: the file warns when the tunnel uses them. IKEv1 needs ikev1-policy=accept in libreswan 4.x.',
    sides: ['remote'],
  },
  {
    id: 'cisco-ios',
    name: 'Cisco IOS / IOS XE (crypto map)',
    fileNamePattern: '{tunnelId}-cisco-ios.txt',
    extension: 'txt',
    contentType: 'text/plain; charset=utf-8',
    versions: 'IKEv1: IOS 12.4 or later; IKEv2: IOS 15.1 / IOS XE 3.3 or later',
    notes:
      'Commands for `configure terminal`: isakmp policy/keyring/profile (IKEv1) or ikev2 proposal/policy/keyring/profile (IKEv2), transform-set, ACL, crypto map. Replace the interface name and the route next hop.',
    sides: ['remote'],
  },
  {
    id: 'huawei',
    name: 'Huawei VRP / H3C Comware 5',
    fileNamePattern: '{tunnelId}-huawei.txt',
    extension: 'txt',
    contentType: 'text/plain; charset=utf-8',
    versions: 'Huawei AR V200R008 or later; H3C Comware 5 with minor keyword differences (not Comware 7)',
    notes:
      'Commands for `system-view`: acl, ike proposal, ike peer, ipsec proposal, ipsec policy. Replace the interface name, the acl/proposal numbers if taken, and the route next hop.',
    sides: ['remote'],
  },
];

export function vendorById(id: string): RemoteConfigVendor | undefined {
  return VENDORS.find((v) => v.id === id);
}

export function configFileName(vendor: RemoteConfigVendor, tunnelId: string, side: Side): string {
  return vendor.fileNamePattern.replace('{tunnelId}', tunnelId).replace('{side}', side);
}

/** The file for `vendor`. Throws RenderError (never with the PSK) for data no vendor could render. */
export function renderRemoteConfig(vendor: VendorId, t: RenderableTunnel, side: Side = 'remote'): string {
  switch (vendor) {
    case 'strongswan-ipsec':
      return renderConfigBundle(t, side);
    case 'strongswan-swanctl':
      return renderSwanctlConf(t);
    case 'libreswan':
      return renderLibreswanBundle(t);
    case 'cisco-ios':
      return renderCiscoIos(t);
    case 'huawei':
      return renderHuaweiVrp(t);
  }
}
