import { assertPlacement, GatewayPlacement, gatewayMac, gatewaySysctls } from './gateway-network';

const placement: GatewayPlacement = {
  gatewayId: 'vpngw-ab12cd34',
  externalIp: '198.51.100.10',
  externalPrefixLength: 24,
  externalRouterIp: '198.51.100.1',
  vpcId: 'vpc-ab12cd34',
  vpcCidr: '10.1.0.0/16',
  subnetId: 'subnet-ab12cd34',
  subnetCidr: '10.1.1.0/24',
  subnetRouterIp: '10.1.1.1',
  privateIp: '10.1.1.250',
};

describe('gateway placement', () => {
  it('accepts a well-formed placement', () => {
    expect(() => assertPlacement(placement)).not.toThrow();
  });

  it('names every bad field at once', () => {
    expect(() => assertPlacement({ ...placement, gatewayId: 'gw-1', privateIp: '10.1.1', vpcCidr: '10.1.0.0/33' })).toThrow(
      /gatewayId 'gw-1'.*privateIp '10.1.1'.*vpcCidr '10.1.0.0\/33'/,
    );
  });

  it('forwards and disables reverse-path filtering on every leg', () => {
    expect(gatewaySysctls(['eth0', 'eth1'])).toEqual({
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
      'net.ipv4.conf.eth0.rp_filter': 0,
      'net.ipv4.conf.eth1.rp_filter': 0,
    });
  });

  it('gives each leg a stable, locally administered unicast MAC derived from the gateway id', () => {
    const vpc = gatewayMac('vpngw-ab12cd34', 'eth1');
    expect(vpc).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(parseInt(vpc.slice(0, 2), 16) & 0x03).toBe(0x02); // local, not multicast
    expect(gatewayMac('vpngw-ab12cd34', 'eth1')).toBe(vpc);
    expect(gatewayMac('vpngw-ab12cd34', 'eth0')).not.toBe(vpc);
    expect(gatewayMac('vpngw-ab12cd35', 'eth1')).not.toBe(vpc);
  });
});
