// Issue 3 scenario a: IKEv2 with the spec's defaults, everything created through the HTTP API and
// the remote site configured from the downloaded remote-side .conf, as its administrator would.
import { Product, splitConfigBundle } from './support/product';
import { join } from 'path';
import { run } from '../src/negotiation/host/exec';
import { uniqueLabPrefix } from './support/lab-fixtures';

// The worker at debug: its log then carries every VICI request, load-shared (the PSK) included.
const product = new Product({ labPrefix: uniqueLabPrefix('ea'), workerEnv: { LOG_LEVEL: 'debug' } });
const PSK = 'e2e.Secret-1';
const SITE_IP = '203.0.113.21';
const SITE_SUBNET = '172.16.21.0/24';
const SITE_HOST = '172.16.21.10';

beforeAll(() => product.start(), 120_000);
afterAll(() => product.stop(), 60_000);

it('IKEv2 defaults: the tunnel connects and a VPC instance pings the remote host through it', async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const eips = await product.ok('GET', `/api/v1/external-ips?limit=100`);
  const eip = eips.items.find((e: any) => !e.boundTo);
  const gw = await product.ok('POST', '/api/v1/vpn-gateways', {
    name: 'e2e-gw',
    machineTypeId: inv.machineType.id,
    vpcId: vpc.id,
    subnetId: vpc.subnets[0].id,
    externalIpId: eip.id,
    chargeType: 'hourly',
  });
  await product.waitForGateway(gw.id);
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: 'site-a', ipAddress: SITE_IP });
  const tunnel = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: 'to-site-a',
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [vpc.subnets[0].id],
    remoteCidrs: [SITE_SUBNET],
    psk: PSK,
  });

  const download = await product.request('GET', `/api/v1/vpn-tunnels/${tunnel.id}/config?side=remote`);
  expect(download.status).toBe(200);
  const { conf, secrets } = splitConfigBundle(download.text);
  expect(conf).toContain(`right=${eip.address}`);
  await product.lab.addSite({ name: 'site-a', publicIp: SITE_IP, subnet: SITE_SUBNET, conf, secrets });

  const connected = await product.waitForTunnel(tunnel.id, ['connected'], 60_000);
  expect(connected.resourceState).toBe('running');

  // The instance's agent installs the route (no manual routes: the route pusher does it).
  expect(await product.waitForPing('vm-a1', SITE_HOST)).toBe(true);
  expect(await product.agentRoutes('vm-a1')).toEqual([`${SITE_SUBNET} via ${gw.privateIp}`]);
  // The FAQ: a gateway never gives the VPC internet access, even to an instance routing through it.
  await product.vmExec('vm-a1', ['ip', 'route', 'replace', '203.0.113.1/32', 'via', gw.privateIp]);
  expect(await product.vmPings('vm-a1', '203.0.113.1', 1)).toBe(false);

  const logs = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/logs`);
  expect(logs.items.some((e: any) => e.kind === 'config' && e.result === 'success')).toBe(true);

  // The worker's health file, as the Helm chart's liveness probe judges it: fresh, the lease held,
  // the gateway served with its charon running.
  const health = await run(process.execPath, [
    join(__dirname, '..', 'dist', 'src', 'cli', 'worker-health.js'),
    '--file',
    join(product.gatewaysDir, 'worker-health.json'),
    '--require-lease',
  ]);
  expect(JSON.parse(health.stdout)).toMatchObject({
    ok: true,
    problems: [],
    health: { lease: { held: true, fenced: false }, gateways: { served: 1, charonsRunning: 1 } },
  });

  // The PSK went to charon in a load-shared request, which the worker logged redacted, and nowhere else.
  const workerLog = product.logs('worker');
  expect(workerLog).toMatch(/VICI -> load-shared \{.*"data":"<redacted>"/);
  expect(workerLog).not.toContain(PSK);
  expect(product.logs('api')).not.toContain(PSK);
});
