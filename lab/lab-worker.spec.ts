import { createNetworkDriver, registeredNetworkDrivers } from '../src/negotiation/host/network-drivers';
import { VxlanNetworkDriver } from '../src/negotiation/host/vxlan-network-driver';
import { LabNetworkDriver } from './lab-network-driver';
import { registerLabNetworkDriver } from './lab-worker';

it('the lab worker adds the lab driver (NETWORK_DRIVER=lab, prefix from LAB_PREFIX) and keeps vxlan', () => {
  registerLabNetworkDriver();
  expect(registeredNetworkDrivers()).toEqual(['lab', 'vxlan']);
  const lab = createNetworkDriver({ networkDriver: 'lab', vxlan: null }, 'h1', { LAB_PREFIX: 'zz' });
  expect(lab).toBeInstanceOf(LabNetworkDriver);
  expect((lab as unknown as { names: { prefix: string } }).names.prefix).toBe('zz');
  expect((createNetworkDriver({ networkDriver: 'lab', vxlan: null }, 'h1', {}) as unknown as { names: { prefix: string } }).names.prefix).toBe('vl');
  const vxlan = { publicBridge: 'br-public', underlayInterface: 'eth1', localIp: null, peers: ['192.0.2.2'], group: null, port: 4789, hostNamespace: null };
  expect(createNetworkDriver({ networkDriver: 'vxlan', vxlan }, 'h1', {})).toBeInstanceOf(VxlanNetworkDriver);
});
