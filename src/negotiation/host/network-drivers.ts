// The worker's network drivers, by the name NETWORK_DRIVER gives: the production worker knows
// `vxlan` (a host's public bridge and the VPC's VXLAN segments); the development lab's worker
// (lab/lab-worker.ts) registers `lab` (the lab's bridges) before it starts the same worker. The
// lab's code is never in the production tree or image: a name nobody registered is a clear error.
import { ConfigError, Env } from '../../config/config';
import type { WorkerConfig } from '../worker-config';
import { GatewayNetworkDriver } from './gateway-network';
import { VxlanNetworkDriver } from './vxlan-network-driver';

/** Builds a host's driver from its settings; `hostTag` (gateway-names hostTag) tells this host's copies apart. */
export type NetworkDriverFactory = (config: DriverSettings, hostTag: string, env: Env) => GatewayNetworkDriver;
/** What a driver is built from: the host's settings (a driver's own, like the lab's LAB_PREFIX, it reads from `env`). */
export type DriverSettings = Pick<WorkerConfig, 'networkDriver' | 'vxlan'>;

const factories = new Map<string, NetworkDriverFactory>([
  [
    'vxlan',
    (c) => {
      if (!c.vxlan) throw new Error('NETWORK_DRIVER=vxlan without its settings');
      return new VxlanNetworkDriver(c.vxlan);
    },
  ],
]);

/** Makes a driver available under `name` (the lab's entry point registers `lab`); a second registration replaces the first. */
export function registerNetworkDriver(name: string, factory: NetworkDriverFactory): void {
  factories.set(name, factory);
}

/** The names a worker of this build can be started with. */
export function registeredNetworkDrivers(): string[] {
  return [...factories.keys()].sort();
}

/** A ConfigError, naming the entry point that has it, when the configured driver is not in this worker. */
export function assertNetworkDriverAvailable(name: string): void {
  if (factories.has(name)) return;
  const hint = name === 'lab' ? ": the lab's driver is in the lab's worker (node dist/lab/lab-worker.js); real gateway hosts use NETWORK_DRIVER=vxlan" : '';
  throw new ConfigError([`NETWORK_DRIVER=${name} is not a driver of this worker (it has ${registeredNetworkDrivers().join(', ')})${hint}`]);
}

export function createNetworkDriver(c: DriverSettings, hostTag: string, env: Env = process.env): GatewayNetworkDriver {
  assertNetworkDriverAvailable(c.networkDriver);
  return factories.get(c.networkDriver)!(c, hostTag, env);
}
