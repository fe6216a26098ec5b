// Routing inside a gateway's namespace. Traffic arriving from the VPC leg is looked up in a table
// of its own that holds only the tunnels' remote subnets (into libipsec's TUN device) and an
// unreachable default: a gateway never forwards VPC traffic to the internet (the seed's FAQ), while
// charon's own IKE packets still use the main table's default route. The worker owns these routes
// (charon's install_routes is off) and marks them with its routing protocol number.
import { ipBatch, LinkInfo, showAll } from './host/ip-link';

export const GATEWAY_ROUTE_PROTO = '252';
export const GATEWAY_ROUTE_TABLE = '252';
const RULE_PRIORITY = '100';

export interface RouteSync {
  added: string[];
  removed: string[];
}

interface RouteEntry {
  dst: string;
  dev?: string;
  type?: string;
}
interface RuleEntry {
  priority: number;
  iif?: string;
  table?: string;
}

/** What a sync needs to know of the namespace, read by ONE process. */
async function readRouting(namespace: string, vpcIface: string) {
  const [addrs, rules, links, routes, unreachable] = (await showAll(namespace, [
    `addr show dev ${vpcIface}`,
    `rule show priority ${RULE_PRIORITY}`,
    'link show',
    `route show table ${GATEWAY_ROUTE_TABLE} proto ${GATEWAY_ROUTE_PROTO}`,
    `route show table ${GATEWAY_ROUTE_TABLE} type unreachable`,
  ])) as [LinkInfo[], RuleEntry[], LinkInfo[], RouteEntry[], RouteEntry[]];
  return {
    vpcLink: addrs[0] ?? null,
    policy: rules.some((r) => r.iif === vpcIface && r.table === GATEWAY_ROUTE_TABLE),
    unreachableDefault: unreachable.some((r) => r.dst === 'default'),
    device: links.find((l) => /^ipsec\d+$/.test(l.ifname))?.ifname ?? null,
    routes: routes.map((r) => ({ cidr: r.dst.includes('/') ? r.dst : `${r.dst}/32`, dev: r.dev })),
  };
}

/**
 * The gateway's routing for its tunnels, in one read and at most one `ip -batch` (it ran 5 or more
 * `ip` processes per sync, one per tunnel change and per gateway on every reconcile pass):
 *  - traffic from the VPC leg uses the tunnel table, whose default is unreachable (nothing else is
 *    forwarded);
 *  - the tunnel table's routes into the TUN device are exactly the tunnels' remote subnets (once
 *    charon made the device: the next sync installs them otherwise);
 *  - the VPC leg holds the network address of every other local subnet (ANCHOR_LABEL_SUFFIX says why).
 */
export async function syncGatewayRouting(
  namespace: string,
  vpcIface: string,
  o: { ownSubnet: string; srcIp: string; localCidrs: Iterable<string>; remoteCidrs: Iterable<string> },
): Promise<RouteSync> {
  const state = await readRouting(namespace, vpcIface);
  const commands: string[] = [];
  if (!state.policy) commands.push(`rule add priority ${RULE_PRIORITY} iif ${vpcIface} lookup ${GATEWAY_ROUTE_TABLE}`);
  if (!state.unreachableDefault) commands.push(`route replace unreachable default table ${GATEWAY_ROUTE_TABLE}`);
  const label = `${vpcIface}${ANCHOR_LABEL_SUFFIX}`;
  const wantedAnchors = new Set([...o.localCidrs].filter((c) => c !== o.ownSubnet).map((c) => `${c.split('/')[0]}/32`));
  const presentAnchors = new Set(
    (state.vpcLink?.addr_info ?? []).filter((a) => a.family === 'inet' && a.label === label).map((a) => `${a.local}/${a.prefixlen}`),
  );
  for (const addr of wantedAnchors) if (!presentAnchors.has(addr)) commands.push(`addr add ${addr} dev ${vpcIface} label ${label}`);
  for (const addr of presentAnchors) if (!wantedAnchors.has(addr)) commands.push(`addr del ${addr} dev ${vpcIface}`);
  const added: string[] = [];
  const removed: string[] = [];
  if (state.device) {
    const wanted = new Set(o.remoteCidrs);
    const present = new Map(state.routes.map((r) => [r.cidr, r.dev]));
    for (const cidr of wanted) {
      if (present.get(cidr) === state.device) continue;
      commands.push(`route replace ${cidr} dev ${state.device} src ${o.srcIp} table ${GATEWAY_ROUTE_TABLE} proto ${GATEWAY_ROUTE_PROTO}`);
      added.push(cidr);
    }
    for (const cidr of present.keys()) {
      if (wanted.has(cidr)) continue;
      commands.push(`route del ${cidr} table ${GATEWAY_ROUTE_TABLE} proto ${GATEWAY_ROUTE_PROTO}`);
      removed.push(cidr);
    }
  }
  await ipBatch(namespace, commands);
  return { added, removed };
}

/**
 * charon 5.9's libipsec refuses a CHILD_SA whose local subnet holds no address of the host ("error
 * installing route with policy", fixed upstream in later releases). A VPN gateway serves VPC
 * subnets besides its own, so it holds each such subnet's network address (unused by instances) as
 * a /32 on its VPC leg, labelled as ours. Anchors of subnets no tunnel uses any more are removed.
 */
const ANCHOR_LABEL_SUFFIX = ':t';
