import { GatewayNetworkDriver } from './gateway-network';
import { assertNetworkDriverAvailable, createNetworkDriver, registerNetworkDriver, registeredNetworkDrivers } from './network-drivers';
import { VxlanNetworkDriver } from './vxlan-network-driver';

const vxlan = { publicBridge: 'br-public', underlayInterface: 'eth1', localIp: null, peers: ['192.0.2.2'], group: null, port: 4789, hostNamespace: null };

it('NETWORK_DRIVER picks the driver: vxlan with its host settings', () => {
  expect(createNetworkDriver({ networkDriver: 'vxlan', vxlan }, 'h1')).toBeInstanceOf(VxlanNetworkDriver);
  expect(() => createNetworkDriver({ networkDriver: 'vxlan', vxlan: null }, 'h1')).toThrow(/without its settings/);
  expect(() => createNetworkDriver({ networkDriver: 'vxlan', vxlan: { ...vxlan, peers: [] } }, 'h1')).toThrow(/VXLAN_PEERS or VXLAN_GROUP/);
});

it("the production worker has no lab driver: NETWORK_DRIVER=lab names the lab's entry point", () => {
  expect(registeredNetworkDrivers()).toEqual(['vxlan']);
  expect(() => assertNetworkDriverAvailable('lab')).toThrow(/NETWORK_DRIVER=lab is not a driver of this worker \(it has vxlan\).*dist\/lab\/lab-worker\.js/);
  expect(() => createNetworkDriver({ networkDriver: 'lab', vxlan: null }, 'h1')).toThrow(/not a driver of this worker/);
});

it('a registered driver is built with the host tag and the environment', () => {
  const seen: unknown[] = [];
  const driver = {} as GatewayNetworkDriver;
  registerNetworkDriver('test-only', (c, tag, env) => {
    seen.push(c.networkDriver, tag, env.X);
    return driver;
  });
  expect(createNetworkDriver({ networkDriver: 'test-only' as 'lab', vxlan: null }, 'h7', { X: 'y' })).toBe(driver);
  expect(seen).toEqual(['test-only', 'h7', 'y']);
});
