// The development lab's gateway-host worker: the production worker (src/worker-process.ts) with the
// lab's network driver registered, so NETWORK_DRIVER=lab (the default) plugs gateways into the
// lab's emulated internet and VPC bridges, named by LAB_PREFIX (default vl). `npm start`, `lab host
// add`, the end-to-end tests and the benches start this; production images start dist/src/worker.js,
// which has no lab code.
import { registerNetworkDriver } from '../src/negotiation/host/network-drivers';
import { runWorkerProcess } from '../src/worker-process';
import { DEFAULT_LAB_PREFIX } from './lab-names';
import { LabNetworkDriver } from './lab-network-driver';

export function registerLabNetworkDriver(): void {
  registerNetworkDriver('lab', (_config, hostTag, env) => new LabNetworkDriver({ prefix: env.LAB_PREFIX || DEFAULT_LAB_PREFIX, hostTag }));
}

if (require.main === module) {
  registerLabNetworkDriver();
  runWorkerProcess();
}
