// A remote site's network: a router namespace with its public IP on the lab internet and a LAN
// leg to a host namespace (the site's user). The router holds the LAN's .1 and forwards.
import { rmSync } from 'node:fs';
import { ensureNamespace, removeNamespace, setNamespaceSysctls } from '../src/negotiation/host/gateway-namespace';
import { deleteLink, ensureVethPair, getLink, replaceRoute, setAddresses, setMaster } from '../src/negotiation/host/ip-link';
import { LabNames } from './lab-names';
import { ROUTER_SYSCTLS } from './lab-fabric';
import { prefixLength } from './lab-inventory';
import { SiteAddressing } from './lab-site-config';
import { siteDaemonFor } from './lab-site-daemon';
import { SiteState } from './lab-state';

const SITE_WAN = 'eth0';
const SITE_LAN = 'lan0';
const HOST_IFACE = 'eth0';

export async function ensureSiteNetwork(names: LabNames, site: SiteState, a: SiteAddressing): Promise<void> {
  const inetNs = names.inetNamespace;
  if (!(await getLink(inetNs, names.inetBridge))) throw new Error(`the lab internet is not up (namespace ${inetNs}): run 'lab up' first`);
  const router = site.routerNamespace;
  const host = site.hostNamespace;
  const port = names.sitePort(site.name);
  await ensureNamespace(router);
  await ensureNamespace(host);
  await setNamespaceSysctls(router, ROUTER_SYSCTLS);

  await ensureVethPair({ namespace: router, name: SITE_WAN }, { namespace: inetNs, name: port }, `site:${site.name}`);
  await setMaster(inetNs, port, names.inetBridge);
  await setAddresses(router, SITE_WAN, [`${a.publicIp}/${a.publicPrefixLength}`]);
  await replaceRoute(router, 'default', a.internetRouter, SITE_WAN);

  const len = prefixLength(a.subnet);
  await ensureVethPair({ namespace: router, name: SITE_LAN }, { namespace: host, name: HOST_IFACE });
  await setAddresses(router, SITE_LAN, [`${a.routerLanIp}/${len}`]);
  await setAddresses(host, HOST_IFACE, [`${a.hostIp}/${len}`]);
  await replaceRoute(host, 'default', a.routerLanIp, HOST_IFACE);
}

// Stops the daemon, removes the namespaces, the port on the internet bridge and /etc/netns files.
export async function removeSiteEverything(names: LabNames, site: SiteState): Promise<void> {
  await siteDaemonFor(site.kind).stop(site);
  site.pid = undefined;
  // Explicitly: namespace teardown is asynchronous and would leave the port for a moment.
  await deleteLink(names.inetNamespace, names.sitePort(site.name));
  await removeNamespace(site.hostNamespace, { killProcesses: true });
  await removeNamespace(site.routerNamespace, { killProcesses: true });
  rmSync(site.etcDir, { recursive: true, force: true });
  rmSync(site.dir, { recursive: true, force: true });
}
