import { ConfigError } from '../config/config';
import { loadWorkerConfig } from './worker-config';

const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:6379/0', SECRETS_KEY: 'a'.repeat(64), HOST_ID: 'h1' };
const problems = (env: Record<string, string>) => {
  try {
    loadWorkerConfig({ ...base, ...env });
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

it('defaults to the lab driver, without vxlan settings', () => {
  const c = loadWorkerConfig(base);
  expect(c.networkDriver).toBe('lab');
  expect(c.vxlan).toBeNull();
});

it("reads the vxlan driver's host settings", () => {
  const c = loadWorkerConfig({
    ...base,
    NETWORK_DRIVER: 'vxlan',
    PUBLIC_BRIDGE: 'br-public',
    VXLAN_UNDERLAY_IFACE: 'bond0.200',
    VXLAN_LOCAL_IP: '10.20.0.11',
    VXLAN_PEERS: '10.20.0.21, 10.20.0.22',
  });
  expect(c.vxlan).toEqual({
    publicBridge: 'br-public',
    underlayInterface: 'bond0.200',
    localIp: '10.20.0.11',
    peers: ['10.20.0.21', '10.20.0.22'],
    group: null,
    port: 4789,
    hostNamespace: null,
  });
});

it.each([
  [{ NETWORK_DRIVER: 'ovs' }, /NETWORK_DRIVER must be lab or vxlan/],
  [{ NETWORK_DRIVER: 'vxlan', VXLAN_UNDERLAY_IFACE: 'eth1', VXLAN_PEERS: '10.0.0.2' }, /PUBLIC_BRIDGE/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_PEERS: '10.0.0.2' }, /VXLAN_UNDERLAY_IFACE/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_UNDERLAY_IFACE: 'eth1' }, /exactly one of VXLAN_PEERS and VXLAN_GROUP/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_UNDERLAY_IFACE: 'eth1', VXLAN_PEERS: '10.0.0.2', VXLAN_GROUP: '239.1.1.1' }, /exactly one of/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_UNDERLAY_IFACE: 'eth1', VXLAN_GROUP: '10.1.1.1' }, /VXLAN_GROUP must be an IPv4 multicast/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_UNDERLAY_IFACE: 'eth1', VXLAN_PEERS: '10.0.0.300' }, /VXLAN_PEERS must be/],
  [{ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public', VXLAN_UNDERLAY_IFACE: 'eth1', VXLAN_PEERS: '10.0.0.2', VXLAN_PORT: '70000' }, /VXLAN_PORT/],
])('refuses %p naming the setting', (env, message) => {
  expect(problems(env as Record<string, string>).join('\n')).toMatch(message);
});

it("the lease thread's main-stall guard: 30 s or five TTLs by default, never below the TTL", () => {
  expect(loadWorkerConfig(base).leaseMaxMainStallMs).toBe(30_000);
  expect(loadWorkerConfig({ ...base, HOST_LEASE_TTL_MS: '10000' }).leaseMaxMainStallMs).toBe(50_000);
  expect(loadWorkerConfig({ ...base, HOST_LEASE_MAX_MAIN_STALL_MS: '5000' }).leaseMaxMainStallMs).toBe(5000);
  expect(problems({ HOST_LEASE_MAX_MAIN_STALL_MS: '3000' }).join('\n')).toMatch(/HOST_LEASE_MAX_MAIN_STALL_MS must be at least HOST_LEASE_TTL_MS/);
});
