import { demoInventory, findInstance, hostAddress, internetRouterFor, range } from './lab-inventory';
import { siteAddressing, renderSiteStrongswanConf } from './lab-site-config';

describe('lab inventory', () => {
  it('holds the demo VPCs, instances and 40 external IPs', () => {
    const inv = demoInventory();
    expect(inv.vpcs.map((v) => v.cidr)).toEqual(['10.1.0.0/16', '192.168.0.0/16']);
    expect(findInstance(inv, 'vm-b1')?.subnet.cidr).toBe('10.1.2.0/24');
    expect(findInstance(inv, 'vm-c1')?.instance.privateIp).toBe('192.168.1.10');
    expect(findInstance(inv, 'nope')).toBeNull();
    expect(inv.externalIps).toHaveLength(40);
    expect(inv.externalIps[0]).toBe('198.51.100.10');
    expect(inv.externalIps[39]).toBe('198.51.100.49');
  });

  it('computes host addresses and internet routers', () => {
    expect(hostAddress('10.1.2.0/24', 1)).toBe('10.1.2.1');
    expect(() => hostAddress('10.0.0.0/30', 3)).toThrow();
    expect(range('192.0.2.254', '192.0.3.1')).toEqual(['192.0.2.254', '192.0.2.255', '192.0.3.0', '192.0.3.1']);
    expect(internetRouterFor('203.0.113.77')).toEqual({ router: '203.0.113.1', prefixLength: 24 });
    expect(() => internetRouterFor('8.8.8.8')).toThrow(/not on the lab internet/);
  });
});

describe('lab site configuration', () => {
  it('addresses a site: router .1, host .10, default via the internet router', () => {
    expect(siteAddressing('203.0.113.10', '172.16.1.7/24')).toEqual({
      publicIp: '203.0.113.10',
      publicPrefixLength: 24,
      internetRouter: '203.0.113.1',
      subnet: '172.16.1.0/24',
      routerLanIp: '172.16.1.1',
      hostIp: '172.16.1.10',
    });
    expect(() => siteAddressing('203.0.113.1', '172.16.1.0/24')).toThrow(/reserved/);
    expect(() => siteAddressing('203.0.113.9', '172.16.1.0/29')).toThrow(/\/28 or larger/);
    expect(() => siteAddressing('10.0.0.1', '172.16.1.0/24')).toThrow(/not on the lab internet/);
  });

  it('renders a stock strongswan.conf with libipsec after the include', () => {
    const conf = renderSiteStrongswanConf('hq', '/var/lib/vpn-console/lab/sites/hq/charon.log');
    expect(conf.indexOf('kernel-libipsec')).toBeGreaterThan(conf.indexOf('include /etc/strongswan.d/charon/*.conf'));
    expect(conf).toContain('i_dont_care_about_security_and_use_aggressive_mode_psk = yes');
    expect(conf).toContain('path = /var/lib/vpn-console/lab/sites/hq/charon.log');
    expect(conf).not.toContain('retransmit');
    // forecast's unfiltered packet socket would wake charon for every packet (no broadcast addresses in the lab).
    expect(conf).toMatch(/forecast \{\n\s+load = no/);
    expect(conf.indexOf('forecast')).toBeGreaterThan(conf.indexOf('include /etc/strongswan.d/charon/*.conf'));
  });
});
