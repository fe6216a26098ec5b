// Routing inside a gateway's namespace. Traffic arriving from the VPC leg is looked up in a table
// of its own that holds only the tunnels' remote subnets (into libipsec's TUN device) and an
// unreachable default: a gateway never forwards VPC traffic to the internet (the seed's FAQ), while
// charon's own IKE packets still use the main table's default route. The worker owns these routes
// (charon's install_routes is off) and marks them with its routing protocol number.
import { run } from './host/exec';

export const GATEWAY_ROUTE_PROTO = '252';
export const GATEWAY_ROUTE_TABLE = '252';
const RULE_PRIORITY = '100';

export interface RouteSync {
  added: string[];
  removed: string[];
}

async function ipsecDevice(namespace: string): Promise<string | null> {
  const { stdout } = await run('ip', ['-n', namespace, '-o', 'link', 'show']);
  const match = /^\d+: (ipsec\d+)[:@]/m.exec(stdout);
  return match ? match[1] : null;
}

/** Traffic from the VPC leg uses the tunnel table; nothing else is forwarded. Idempotent. */
async function ensureVpcPolicy(namespace: string, vpcIface: string): Promise<void> {
  const { stdout } = await run('ip', ['-n', namespace, 'rule', 'show', 'priority', RULE_PRIORITY]);
  if (!stdout.includes(`iif ${vpcIface} lookup ${GATEWAY_ROUTE_TABLE}`)) {
    await run('ip', ['-n', namespace, 'rule', 'add', 'priority', RULE_PRIORITY, 'iif', vpcIface, 'lookup', GATEWAY_ROUTE_TABLE]);
  }
  await run('ip', ['-n', namespace, 'route', 'replace', 'unreachable', 'default', 'table', GATEWAY_ROUTE_TABLE]);
}

/** Makes the tunnel table's routes into the TUN device exactly `cidrs`. */
export async function syncGatewayRoutes(namespace: string, vpcIface: string, srcIp: string, cidrs: Iterable<string>): Promise<RouteSync> {
  await ensureVpcPolicy(namespace, vpcIface);
  const device = await ipsecDevice(namespace);
  if (!device) return { added: [], removed: [] }; // charon not (yet) up: the next sync installs them
  const wanted = new Set(cidrs);
  const { stdout } = await run('ip', ['-n', namespace, '-o', 'route', 'show', 'table', GATEWAY_ROUTE_TABLE, 'proto', GATEWAY_ROUTE_PROTO]);
  const present = new Map<string, string>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [dest] = line.split(' ');
    present.set(dest.includes('/') ? dest : `${dest}/32`, line);
  }
  const added: string[] = [];
  const removed: string[] = [];
  for (const cidr of wanted) {
    if (present.get(cidr)?.includes(`dev ${device}`)) continue;
    await run('ip', ['-n', namespace, 'route', 'replace', cidr, 'dev', device, 'src', srcIp, 'table', GATEWAY_ROUTE_TABLE, 'proto', GATEWAY_ROUTE_PROTO]);
    added.push(cidr);
  }
  for (const cidr of present.keys()) {
    if (wanted.has(cidr)) continue;
    await run('ip', ['-n', namespace, 'route', 'del', cidr, 'table', GATEWAY_ROUTE_TABLE, 'proto', GATEWAY_ROUTE_PROTO]).catch(() => undefined);
    removed.push(cidr);
  }
  return { added, removed };
}

const ANCHOR_LABEL_SUFFIX = ':t';

/**
 * charon 5.9's libipsec refuses a CHILD_SA whose local subnet holds no address of the host ("error
 * installing route with policy", fixed upstream in later releases). A VPN gateway serves VPC
 * subnets besides its own, so it holds each such subnet's network address (unused by instances) as
 * a /32 on its VPC leg, labelled as ours. Anchors of subnets no tunnel uses any more are removed.
 */
export async function syncSubnetAnchors(namespace: string, vpcIface: string, ownSubnet: string, localCidrs: Iterable<string>): Promise<void> {
  const label = `${vpcIface}${ANCHOR_LABEL_SUFFIX}`;
  const wanted = new Set([...localCidrs].filter((c) => c !== ownSubnet).map((c) => `${c.split('/')[0]}/32`));
  const { stdout } = await run('ip', ['-n', namespace, '-o', '-4', 'addr', 'show', 'label', label]);
  const present = new Set(stdout.split('\n').filter(Boolean).map((l) => /inet (\S+)/.exec(l)?.[1]).filter((a): a is string => !!a));
  for (const addr of wanted) {
    if (!present.has(addr)) await run('ip', ['-n', namespace, 'addr', 'add', addr, 'dev', vpcIface, 'label', label]);
  }
  for (const addr of present) {
    if (!wanted.has(addr)) await run('ip', ['-n', namespace, 'addr', 'del', addr, 'dev', vpcIface]).catch(() => undefined);
  }
}
