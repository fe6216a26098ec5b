// The gateway host runtime against a private lab: a gateway namespace wired into the lab's
// internet and VPC bridges, a supervised charon answering VICI, restart after kill -9, a stale
// charon from a "crashed worker" (taken over), a real tunnel from a lab site to a VPC instance, and removal.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../lab/lab';
import { run } from '../src/negotiation/host/exec';
import { GatewayHostRuntime } from '../src/negotiation/host/gateway-host';
import { ensureNamespace, namespaceExists, removeNamespace } from '../src/negotiation/host/gateway-namespace';
import { GatewayPlacement } from '../src/negotiation/host/gateway-network';
import { LabNetworkDriver } from '../lab/lab-network-driver';
import { HostLogger } from '../src/negotiation/host/charon-process';
import { isAlive, readPidFile } from '../src/negotiation/host/process-files';
import { viciVersion } from '../src/negotiation/host/vici-probe';
import { forceCleanupPrefix, killIfAlive, linkExists, tempDir, uniqueGatewayId, uniqueLabPrefix, waitFor, withTimeout } from './support/lab-fixtures';
import { gatewaySwanctlConf, siteIpsecConf, spawnStaleCharon } from './support/lab-gateway';

jest.setTimeout(60_000);

const prefix = uniqueLabPrefix('lg');
const stateDir = tempDir('gwhost-lab');
const baseDir = tempDir('gwhost-gateways');
const lab = new Lab({ stateDir, prefix });
const quiet: HostLogger = { log: () => undefined, warn: () => undefined, error: (m) => console.error(m) };
const options = { network: new LabNetworkDriver({ prefix }), baseDir, restartBackoffMs: [200, 500], logger: quiet };
let runtime = new GatewayHostRuntime(options);
const gatewayId = uniqueGatewayId();
const pidFile = join(baseDir, gatewayId, 'charon.pid');
const seenPids: number[] = [];

const placement: GatewayPlacement = {
  gatewayId,
  externalIp: '198.51.100.10',
  externalPrefixLength: 24,
  externalRouterIp: '198.51.100.1',
  vpcId: 'vpc-lab00001', // the lab's stand-in ids when it runs without the API
  vpcCidr: '10.1.0.0/16',
  subnetId: 'subnet-lab00011',
  subnetCidr: '10.1.1.0/24',
  subnetRouterIp: '10.1.1.1',
  privateIp: '10.1.1.250',
};
const inGateway = (cmd: string[]) => run('ip', ['netns', 'exec', gatewayId, ...cmd]);

beforeAll(async () => {
  await lab.up({ register: false });
});

afterAll(async () => {
  try {
    await runtime.removeGateway(gatewayId).catch((e) => console.error(e));
    await runtime.stopAll();
    await lab.down();
  } finally {
    seenPids.forEach(killIfAlive);
    if (namespaceExists(gatewayId)) await run('ip', ['netns', 'del', gatewayId]).catch(() => undefined);
    await forceCleanupPrefix(prefix);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  }
});

test('ensureGateway is idempotent and the gateway reaches the internet and its VPC', async () => {
  const first = await runtime.ensureGateway(placement, { takeOver: true });
  const pid = readPidFile(pidFile)!;
  seenPids.push(pid);
  const second = await runtime.ensureGateway(placement, { takeOver: false }); // a later sync's
  expect(second).toEqual(first);
  expect(first.viciSocket).toBe(join(baseDir, gatewayId, 'charon.vici'));
  expect(readPidFile(pidFile)).toBe(pid); // the same charon, not a new one
  expect(runtime.isCharonRunning(gatewayId)).toBe(true);
  expect(await runtime.listLocalGateways()).toContain(gatewayId);

  const version = await viciVersion(first.viciSocket);
  expect(version).toMatchObject({ daemon: 'charon', version: expect.stringMatching(/^5\./) });

  await inGateway(['ping', '-c', '1', '-W', '1', '198.51.100.1']);
  await inGateway(['ping', '-c', '1', '-W', '1', '10.1.1.10']); // on-link in its subnet
  await inGateway(['ping', '-c', '1', '-W', '1', '10.1.2.10']); // via the VPC router
  const { stdout } = await inGateway(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter']);
  expect(stdout.split('\n').filter(Boolean)).toEqual(['1', '0']);
});

test("a later sync's repair restores what went missing (no other copy is plugged)", async () => {
  await run('ip', ['-n', gatewayId, 'link', 'del', 'eth1']);
  await runtime.ensureGateway(placement, { takeOver: false });
  await inGateway(['ping', '-c', '1', '-W', '1', '10.1.1.10']);
});

test('two gateways whose ids end alike are refused, not cross-wired', async () => {
  const twin = `vpngw-x${gatewayId.slice('vpngw-'.length)}`; // same last 8 characters
  await expect(
    runtime.ensureGateway({ ...placement, gatewayId: twin, externalIp: '198.51.100.12', privateIp: '10.1.1.249' }, { takeOver: true }),
  ).rejects.toThrow(/short-name collision/);
  await runtime.removeGateway(twin);
  expect(namespaceExists(twin)).toBe(false);
  await inGateway(['ping', '-c', '1', '-W', '1', '198.51.100.1']); // the first one's port survived
});

test('a charon killed with -9 is restarted and the callback fires', async () => {
  const oldPid = readPidFile(pidFile)!;
  const restarted = new Promise<string>((resolve) => runtime.onCharonRestart(resolve));
  process.kill(oldPid, 'SIGKILL');
  expect(await withTimeout(restarted, 15_000, 'the restart callback')).toBe(gatewayId);
  const newPid = readPidFile(pidFile)!;
  seenPids.push(newPid);
  expect(newPid).not.toBe(oldPid);
  expect(isAlive(oldPid)).toBe(false);
  expect(runtime.isCharonRunning(gatewayId)).toBe(true);
  await expect(viciVersion(runtime.viciSocketOf(gatewayId))).resolves.toMatchObject({ daemon: 'charon' });
});

test('a site tunnel to the gateway carries traffic to a VPC instance (libipsec forwarding)', async () => {
  const dir = tempDir('gwhost-conf');
  try {
    const psk = 'gw-e2e-not-a-real-secret';
    const swanctl = join(dir, 'swanctl.conf');
    writeFileSync(swanctl, gatewaySwanctlConf({ local: '198.51.100.10', remote: '203.0.113.30', localTs: '10.1.1.0/24', remoteTs: '172.16.9.0/24', psk }));
    await run('swanctl', ['--load-all', '--noprompt', '--file', swanctl, '--uri', `unix://${runtime.viciSocketOf(gatewayId)}`]);
    const conf = join(dir, 'ipsec.conf');
    const secrets = join(dir, 'ipsec.secrets');
    writeFileSync(conf, siteIpsecConf({ left: '203.0.113.30', leftSubnet: '172.16.9.0/24', right: '198.51.100.10', rightSubnet: '10.1.1.0/24' }));
    writeFileSync(secrets, `203.0.113.30 198.51.100.10 : PSK "${psk}"\n`);
    // What the route agent would push into the instance once the tunnel is connected.
    await lab.vmExec('vm-a1', ['ip', 'route', 'replace', '172.16.9.0/24', 'via', placement.privateIp]);
    // What the worker does in the gateway (gateway-routes.ts): the remote subnet into the TUN.
    await inGateway(['ip', 'route', 'replace', '172.16.9.0/24', 'dev', 'ipsec0', 'src', placement.privateIp]);
    await lab.addSite({ name: 'r1', publicIp: '203.0.113.30', subnet: '172.16.9.0/24', confFile: conf, secretsFile: secrets });
    await waitFor('the tunnel at site r1', async () => /INSTALLED/.test(await lab.siteStatus('r1')));
    const ping = await lab.siteExec('r1', ['ping', '-c', '3', '-W', '2', '10.1.1.10'], { timeoutMs: 15_000 });
    expect(ping.stdout).toMatch(/[1-3] received/);
    await lab.removeSite('r1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("listLocalGateways reports only this runtime's gateways unless told to claim all", async () => {
  const foreign = uniqueGatewayId();
  await ensureNamespace(foreign);
  try {
    expect(await runtime.listLocalGateways()).toEqual([gatewayId]);
    const claiming = new GatewayHostRuntime({ ...options, claimForeignNamespaces: true });
    expect(await claiming.listLocalGateways()).toEqual(expect.arrayContaining([gatewayId, foreign]));
  } finally {
    await removeNamespace(foreign);
  }
});

test('a charon left running by a previous worker is taken over when it runs our configuration, replaced when not', async () => {
  await runtime.stopAll(); // shutdown keeps the namespace and its network
  expect(runtime.isCharonRunning(gatewayId)).toBe(false);
  expect(namespaceExists(gatewayId)).toBe(true);
  await inGateway(['ping', '-c', '1', '-W', '1', '10.1.1.10']);

  // A "previous worker" started this charon and died: its pid file and strongswan.conf are left.
  const stale = await spawnStaleCharon(gatewayId, join(baseDir, gatewayId));
  seenPids.push(stale);
  await waitFor('the stale charon to answer', async () => viciVersion(runtime.viciSocketOf(gatewayId)));

  // Issue 12: the next worker keeps it (its SAs with it) instead of killing it.
  runtime = new GatewayHostRuntime(options); // the new worker process
  await runtime.ensureGateway(placement, { takeOver: true });
  expect(readPidFile(pidFile)).toBe(stale);
  expect(isAlive(stale)).toBe(true);
  expect(runtime.isCharonRunning(gatewayId)).toBe(true);
  await expect(viciVersion(runtime.viciSocketOf(gatewayId))).resolves.toMatchObject({ daemon: 'charon' });

  // The taken-over charon dies: the runtime notices without an exit event and starts a new one.
  let restarted = '';
  runtime.onCharonRestart((id) => (restarted = id));
  process.kill(stale, 'SIGKILL');
  await waitFor('the replacement charon', async () => restarted === gatewayId && readPidFile(pidFile) !== stale);
  const replacement = readPidFile(pidFile)!;
  seenPids.push(replacement);
  await expect(viciVersion(runtime.viciSocketOf(gatewayId))).resolves.toMatchObject({ daemon: 'charon' });

  // A worker with another charon configuration (an upgrade that changed it) replaces it.
  runtime.detachAll();
  writeFileSync(join(baseDir, gatewayId, 'strongswan.conf'), '# an older configuration\n', { flag: 'a' });
  runtime = new GatewayHostRuntime(options);
  await runtime.ensureGateway(placement, { takeOver: true });
  const pid = readPidFile(pidFile)!;
  seenPids.push(pid);
  expect(pid).not.toBe(replacement);
  expect(isAlive(replacement)).toBe(false);
  await expect(viciVersion(runtime.viciSocketOf(gatewayId))).resolves.toMatchObject({ daemon: 'charon' });
});

test('removeGateway leaves no namespace, no veth, no process and no directory', async () => {
  const pid = readPidFile(pidFile)!;
  await runtime.removeGateway(gatewayId);
  await runtime.removeGateway(gatewayId); // idempotent
  expect(namespaceExists(gatewayId)).toBe(false);
  const port = lab.names.gatewayPort(gatewayId);
  expect(await linkExists(lab.names.inetNamespace, port)).toBe(false);
  expect(await linkExists(lab.names.vpcNamespace(placement.vpcId), port)).toBe(false);
  expect(isAlive(pid)).toBe(false);
  expect(existsSync(join(baseDir, gatewayId))).toBe(false);
  expect(await runtime.listLocalGateways()).not.toContain(gatewayId);
  expect(runtime.isCharonRunning(gatewayId)).toBe(false);
});
