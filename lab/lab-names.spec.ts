import { assertLabPrefix, LabNames, shortId, shortName } from './lab-names';
import { assertIfName, gatewayNamespace, hostTag, MAX_IFNAME } from '../src/negotiation/host/gateway-names';

describe('lab names', () => {
  const names = new LabNames('vl');

  it('derives short ids from the random tail of API ids', () => {
    expect(shortId('subnet-ab12cd34')).toBe('ab12cd34');
    expect(shortId('vpngw-AB12CD34')).toBe('ab12cd34');
    expect(shortId('x-1')).toBe('x1');
    expect(() => shortId('---')).toThrow(/cannot derive/);
  });

  it('keeps short plain names and digests the others, deterministically', () => {
    expect(shortName('vm-a1')).toBe('vm-a1');
    const long = shortName('a-very-long-instance-name');
    expect(long).toMatch(/^[0-9a-f]{8}$/);
    expect(shortName('a-very-long-instance-name')).toBe(long);
    expect(shortName('UPPER')).not.toBe('UPPER');
  });

  it('names namespaces with the prefix and interfaces within 15 characters', () => {
    expect(names.inetNamespace).toBe('vl-inet');
    expect(names.vpcNamespace('vpc-ab12cd34')).toBe('vl-vpc-ab12cd34');
    expect(names.subnetBridge('subnet-ab12cd34')).toBe('bab12cd34');
    expect(names.instanceNamespace('vm-a1')).toBe('vl-vm-vm-a1');
    expect(names.instancePort('vm-a1')).toBe('vvm-a1');
    expect(names.siteRouterNamespace('hq')).toBe('vl-site-hq');
    expect(names.siteHostNamespace('hq')).toBe('vl-sh-hq');
    expect(names.gatewayPort('vpngw-ab12cd34')).toBe('gab12cd34');
    expect(names.netnsEtcDir('vl-site-hq')).toBe('/etc/netns/vl-site-hq');
    for (const n of [
      names.subnetBridge('subnet-0123456789abcdef'),
      names.instancePort('an-instance-with-a-long-name'),
      names.sitePort('a-long-site-name-x'),
      names.gatewayPort('vpngw-0123456789abcdef'),
    ]) {
      expect(n.length).toBeLessThanOrEqual(MAX_IFNAME);
    }
  });

  it('lets a test lab use its own prefix without touching the demo lab', () => {
    const test = new LabNames('lt3k9z');
    expect(test.inetNamespace).toBe('lt3k9z-inet');
    expect(test.ownsNamespace('lt3k9z-vm-vm-a1')).toBe(true);
    expect(names.ownsNamespace('lt3k9z-inet')).toBe(false);
    expect(names.ownsNamespace('vlx-inet')).toBe(false);
  });

  it('rejects bad prefixes, site names and interface names', () => {
    expect(() => assertLabPrefix('VL')).toThrow();
    expect(() => assertLabPrefix('toolongprefix')).toThrow();
    expect(() => names.siteRouterNamespace('Bad Name')).toThrow(/invalid site name/);
    expect(() => assertIfName('sixteen-chars-xx')).toThrow(/invalid interface name/);
    expect(assertIfName('eth0')).toBe('eth0');
  });

  it('gives each host its own namespace and ports for one gateway (two copies side by side)', () => {
    expect(hostTag('h1')).toBe('h1');
    const long = hostTag('e2e-ab12cd');
    expect(long).toMatch(/^[0-9a-f]{6}$/);
    expect(hostTag('e2e-ab12cd')).toBe(long);
    expect(hostTag('e2e-ab12ce')).not.toBe(long);
    expect(gatewayNamespace('vpngw-ab12cd34', 'h1')).toBe('vpngw-ab12cd34.h1');
    expect(gatewayNamespace('vpngw-ab12cd34', 'h2')).not.toBe(gatewayNamespace('vpngw-ab12cd34', 'h1'));
    expect(gatewayNamespace('vpngw-ab12cd34')).toBe('vpngw-ab12cd34');
    const port = names.gatewayPort('vpngw-ab12cd34', long);
    expect(port.length).toBeLessThanOrEqual(MAX_IFNAME);
    expect(port).not.toBe(names.gatewayPort('vpngw-ab12cd34', 'h2'));
  });
});
