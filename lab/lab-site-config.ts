// Pure: the strongswan.conf a lab site's starter runs with, and checks on a site's addresses.
import { intToIp, isIpv4, parseCidr } from '../src/common/cidr';
import { hostAddress, internetRouterFor } from './lab-inventory';

// A stock Debian strongswan.conf plus what this machine needs: kernel-libipsec (no ESP in the
// kernel) enabled after the include, the aggressive-mode PSK flag (a site may be configured for
// IKEv1 aggressive mode) and a log file of its own. Retransmission, plugin order and the rest stay
// at charon's defaults: the site plays a remote administrator's untuned strongSwan. One exception,
// an artefact of the lab and not of a real remote: Debian loads the forecast plugin (multicast and
// broadcast forwarding for road warriors, which no site uses), whose AF_PACKET socket filters
// in the kernel only when an interface has a broadcast address. The lab's addresses have none
// (`ip addr add` without `brd`), so every IP packet in the router namespace woke charon's watcher and
// a pool thread: the site's charon spent ~1.6x the CPU per byte of the gateway's and capped the
// product's data plane (docs/operations.md, data plane). A real host's addresses carry a broadcast.
export function renderSiteStrongswanConf(siteName: string, logFile: string): string {
  return `# strongswan.conf of lab site ${siteName}, written by the lab.
charon {
  load_modular = yes
  install_routes = yes
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  filelog {
    site {
      path = ${logFile}
      time_format = %Y-%m-%d %H:%M:%S
      ike_name = yes
      append = yes
      flush_line = yes
      default = 1
      knl = 0
      net = 0
      enc = 0
    }
  }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec {
      load = yes
    }
    forecast {
      load = no
    }
  }
}

include /etc/strongswan.d/*.conf
`;
}

export interface SiteAddressing {
  publicIp: string;
  publicPrefixLength: number;
  internetRouter: string;
  subnet: string;
  routerLanIp: string; // the site router on its LAN: the subnet's .1
  hostIp: string; // the site's host: the subnet's .10
}

export function siteAddressing(publicIp: string, subnet: string): SiteAddressing {
  if (!isIpv4(publicIp)) throw new Error(`--public-ip '${publicIp}' is not an IPv4 address`);
  const parsed = parseCidr(subnet);
  if (!parsed || parsed.prefix > 28) throw new Error(`--subnet '${subnet}' must be an IPv4 CIDR of /28 or larger`);
  const { router, prefixLength } = internetRouterFor(publicIp);
  const last = Number(publicIp.split('.')[3]);
  if (publicIp === router || last === 0 || last === 255) throw new Error(`--public-ip ${publicIp} is reserved on the lab internet`);
  const normalized = `${intToIp(parsed.network)}/${parsed.prefix}`;
  return {
    publicIp,
    publicPrefixLength: prefixLength,
    internetRouter: router,
    subnet: normalized,
    routerLanIp: hostAddress(normalized, 1),
    hostIp: hostAddress(normalized, 10),
  };
}
