// Routes inside a gateway's namespace that steer traffic for remote subnets into libipsec's TUN
// device, where its SPD picks the IPsec SA. The worker owns them (charon's install_routes is off):
// one route per remote CIDR of every tunnel loaded on the gateway, sourced from the gateway's VPC
// address. They are marked with our own routing protocol number so nothing else is touched.
import { run } from './host/exec';

export const GATEWAY_ROUTE_PROTO = '252';

export interface RouteSync {
  added: string[];
  removed: string[];
}

async function ipsecDevice(namespace: string): Promise<string | null> {
  const { stdout } = await run('ip', ['-n', namespace, '-o', 'link', 'show']);
  const match = /^\d+: (ipsec\d+)[:@]/m.exec(stdout);
  return match ? match[1] : null;
}

/** Makes the namespace's routes into the TUN device exactly `cidrs`. */
export async function syncGatewayRoutes(namespace: string, srcIp: string, cidrs: Iterable<string>): Promise<RouteSync> {
  const device = await ipsecDevice(namespace);
  if (!device) return { added: [], removed: [] }; // charon not (yet) up: the next sync installs them
  const wanted = new Set(cidrs);
  const { stdout } = await run('ip', ['-n', namespace, '-o', 'route', 'show', 'proto', GATEWAY_ROUTE_PROTO]);
  const present = new Map<string, string>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [dest] = line.split(' ');
    present.set(dest.includes('/') ? dest : `${dest}/32`, line);
  }
  const added: string[] = [];
  const removed: string[] = [];
  for (const cidr of wanted) {
    if (present.get(cidr)?.includes(`dev ${device}`)) continue;
    await run('ip', ['-n', namespace, 'route', 'replace', cidr, 'dev', device, 'src', srcIp, 'proto', GATEWAY_ROUTE_PROTO]);
    added.push(cidr);
  }
  for (const cidr of present.keys()) {
    if (wanted.has(cidr)) continue;
    await run('ip', ['-n', namespace, 'route', 'del', cidr, 'proto', GATEWAY_ROUTE_PROTO]).catch(() => undefined);
    removed.push(cidr);
  }
  return { added, removed };
}
