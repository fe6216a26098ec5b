// The worker's network driver, chosen per gateway host by NETWORK_DRIVER: `vxlan` on real hosts
// (a VXLAN VPC fabric and a public bridge), `lab` on the development lab's bridges.
import type { WorkerConfig } from '../worker-config';
import { GatewayNetworkDriver, LabNetworkDriver } from './gateway-network';
import { VxlanNetworkDriver } from './vxlan-network-driver';

// `hostTag` (lab-names hostTag) names the lab driver's ports, so several hosts share the lab's bridges.
export function createNetworkDriver(c: Pick<WorkerConfig, 'networkDriver' | 'labPrefix' | 'vxlan'>, hostTag?: string): GatewayNetworkDriver {
  if (c.networkDriver === 'vxlan') {
    if (!c.vxlan) throw new Error('NETWORK_DRIVER=vxlan without its settings');
    return new VxlanNetworkDriver(c.vxlan);
  }
  return new LabNetworkDriver({ prefix: c.labPrefix, hostTag });
}
