// A gateway's external NIC counters, read inside its namespace (`ip -n <gatewayId> -s -j link`).
import { run } from '../host/exec';
import { GATEWAY_EXTERNAL_IFACE } from '../host/gateway-names';
import { Traffic } from '../../monitoring/rates';

/** Parses `ip -s -j link show <iface>`: rx is "in" (from the internet), tx is "out". */
export function parseLinkStats(json: string, iface: string): Traffic {
  const links = JSON.parse(json) as { ifname?: string; stats64?: { rx?: Record<string, number>; tx?: Record<string, number> } }[];
  const link = Array.isArray(links) ? links.find((l) => l.ifname === iface) : undefined;
  const rx = link?.stats64?.rx;
  const tx = link?.stats64?.tx;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : NaN);
  const t = { bytesIn: n(rx?.bytes), bytesOut: n(tx?.bytes), packetsIn: n(rx?.packets), packetsOut: n(tx?.packets) };
  if (Object.values(t).some(Number.isNaN)) throw new Error(`no counters for ${iface} in ip's answer`);
  return t;
}

/** Reads a gateway's external NIC counters, given the namespace of its copy on this host. */
export type NicReader = (namespace: string) => Promise<Traffic>;

/** The production reader: eth0 of the gateway's namespace faces the internet. */
export const readExternalNic: NicReader = async (namespace) => {
  const { stdout } = await run('ip', ['-n', namespace, '-s', '-j', 'link', 'show', GATEWAY_EXTERNAL_IFACE], { timeoutMs: 5000 });
  return parseLinkStats(stdout, GATEWAY_EXTERNAL_IFACE);
};
