// The one place that names the lab's namespaces, bridges and ports. The lab (lab/) creates them and
// the worker's LAB network driver finds them from a GatewayPlacement alone, so both import this.
// Namespace names carry the lab prefix; interface names live inside a namespace, so they only need
// to be unique there and <= 15 characters (IFNAMSIZ - 1).
import { createHash } from 'node:crypto';
import { assertIfName } from '../src/negotiation/host/gateway-names';

export const DEFAULT_LAB_PREFIX = 'vl';

// The last 8 alphanumerics of an id ('subnet-ab12cd34' -> 'ab12cd34'): the random part of the
// API's prefixed ids, short enough for an interface name with a one-letter role prefix.
export function shortId(id: string): string {
  const alnum = id.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!alnum) throw new Error(`cannot derive an interface name from id '${id}'`);
  return alnum.slice(-8);
}

// A human name kept readable when it is short and plain, otherwise an 8-hex digest (stable).
export function shortName(name: string, max = 10): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(name) && name.length <= max) return name;
  return createHash('sha1').update(name).digest('hex').slice(0, 8);
}

export function assertLabPrefix(prefix: string): string {
  if (!/^[a-z][a-z0-9]{0,7}$/.test(prefix)) {
    throw new Error(`invalid lab prefix '${prefix}': 1-8 lowercase letters/digits, starting with a letter`);
  }
  return prefix;
}

export function assertSiteName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(name)) {
    throw new Error(`invalid site name '${name}': 1-20 of a-z, 0-9, '-'`);
  }
  return name;
}

export class LabNames {
  constructor(readonly prefix: string = DEFAULT_LAB_PREFIX) {
    assertLabPrefix(prefix);
  }

  // --- the "internet": one router namespace, one bridge holding every public /24's .1
  get inetNamespace(): string {
    return `${this.prefix}-inet`;
  }
  readonly inetBridge = 'inet0';

  // --- a VPC's fabric: one namespace per VPC (the VPC router), one bridge per subnet
  vpcNamespace(vpcId: string): string {
    return `${this.prefix}-${vpcId}`;
  }
  subnetBridge(subnetId: string): string {
    return assertIfName(`b${shortId(subnetId)}`);
  }

  // --- instances: a namespace each, eth0 inside, port `v<name>` on the subnet bridge
  instanceNamespace(name: string): string {
    return `${this.prefix}-vm-${name}`;
  }
  instancePort(name: string): string {
    return assertIfName(`v${shortName(name, 12)}`);
  }

  // --- remote sites: a router namespace (public IP, starter) and a host namespace on its LAN
  siteRouterNamespace(name: string): string {
    return `${this.prefix}-site-${assertSiteName(name)}`;
  }
  siteHostNamespace(name: string): string {
    return `${this.prefix}-sh-${assertSiteName(name)}`;
  }
  sitePort(name: string): string {
    return assertIfName(`s${shortName(name, 12)}`);
  }

  // --- gateways (namespaces owned by the worker): their ports on the lab's bridges.
  // The same name is used in the inet namespace and in the VPC namespace (different namespaces).
  // With a host tag (the worker's), each host's copy of the gateway has its own ports.
  gatewayPort(gatewayId: string, tag?: string): string {
    return assertIfName(`g${shortId(gatewayId)}${tag ?? ''}`);
  }

  // Files `ip netns exec` bind-mounts over /etc for a namespace.
  netnsEtcDir(namespace: string): string {
    return `/etc/netns/${namespace}`;
  }

  // Every namespace this prefix may own (used by `down` as a safety net and by tests).
  ownsNamespace(namespace: string): boolean {
    return namespace.startsWith(`${this.prefix}-`);
  }
}
