import { LabNetworkDriver } from './gateway-network';
import { createNetworkDriver } from './network-driver-factory';
import { VxlanNetworkDriver } from './vxlan-network-driver';

it('NETWORK_DRIVER picks the driver: lab by default, vxlan with its host settings', () => {
  expect(createNetworkDriver({ networkDriver: 'lab', labPrefix: 'vl', vxlan: null })).toBeInstanceOf(LabNetworkDriver);
  const vxlan = { publicBridge: 'br-public', underlayInterface: 'eth1', localIp: null, peers: ['192.0.2.2'], group: null, port: 4789, hostNamespace: null };
  expect(createNetworkDriver({ networkDriver: 'vxlan', labPrefix: 'vl', vxlan })).toBeInstanceOf(VxlanNetworkDriver);
  expect(() => createNetworkDriver({ networkDriver: 'vxlan', labPrefix: 'vl', vxlan: null })).toThrow(/without its settings/);
  expect(() => createNetworkDriver({ networkDriver: 'vxlan', labPrefix: 'vl', vxlan: { ...vxlan, peers: [] } })).toThrow(/VXLAN_PEERS or VXLAN_GROUP/);
});
