// The names a gateway host gives what it creates for a gateway, in the lab and in production alike:
// the gateway's namespace on this host, its interfaces inside it, and interface-name limits.
// The lab's own names (its internet, VPC fabric, sites) are in lab/lab-names.ts.
import { createHash } from 'node:crypto';

export const MAX_IFNAME = 15;

// Interface names inside a gateway namespace: fixed, as on a real VM.
export const GATEWAY_EXTERNAL_IFACE = 'eth0';
export const GATEWAY_VPC_IFACE = 'eth1';

/**
 * A gateway host's short tag (<= 6 characters): it goes into the names of the host's gateway
 * namespaces and bridge ports, so two hosts' copies of one gateway can exist side by side on one
 * machine (the lab's several hosts; a stale copy next to the new owner's). The id itself when it
 * is that short and plain, otherwise a 6-hex digest of it.
 */
export function hostTag(hostId: string): string {
  if (/^[a-z0-9][a-z0-9-]{0,5}$/.test(hostId)) return hostId;
  return createHash('sha1').update(hostId).digest('hex').slice(0, 6);
}

/**
 * The namespace of a gateway's copy on a host: `<gatewayId>.<hostTag>` (the dot keeps it from
 * looking like a gateway id), or the gateway id alone for a runtime without a host tag.
 */
export function gatewayNamespace(gatewayId: string, tag?: string): string {
  return tag ? `${gatewayId}.${tag}` : gatewayId;
}

export function assertIfName(name: string): string {
  if (name.length === 0 || name.length > MAX_IFNAME || /[\s/:]/.test(name)) {
    throw new Error(`invalid interface name '${name}' (1-${MAX_IFNAME} chars, no spaces, '/' or ':')`);
  }
  return name;
}
