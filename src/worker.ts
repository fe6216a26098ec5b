// The production gateway-host worker (Dockerfile.worker): the network drivers of src/ only
// (NETWORK_DRIVER=vxlan). The development lab starts lab/lab-worker.ts instead.
import { runWorkerProcess } from './worker-process';

runWorkerProcess();
