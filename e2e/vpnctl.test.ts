// vpnctl against the whole product (API, worker, charon, a lab site): apply of a site file
// connects a tunnel to a remote site configured from `vpnctl tunnel config`; a second apply has
// nothing to change; an edited policy field is exactly what plan shows, and apply reconnects the
// tunnel and waits until it is connected again.
import { execFile } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { Product, splitConfigBundle } from './support/product';
import { uniqueLabPrefix } from './support/lab-fixtures';
import { REPO_ROOT } from '../test/support/product-processes';

const product = new Product({ labPrefix: uniqueLabPrefix('ev') });
const SITE_IP = '203.0.113.30';
const SITE_SUBNET = '172.16.30.0/24';

beforeAll(() => product.start(), 120_000);
afterAll(() => product.stop(), 60_000);

function vpnctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'vpnctl.js'), ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: product.dir,
          VPNCTL_API_URL: product.baseUrl,
          VPNCTL_API_KEY: product.tenantKey,
          SITE_PSK: 'Cli.e2e-Secret',
        },
        timeout: 180_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

it('apply connects a tunnel to a lab site; again: no changes; an edited field: plan shows it, apply reconnects', async () => {
  const inv = product.inventory;
  const vpc = inv.vpcs[0];
  const site = (lifetime: number) => `apiVersion: vpnctl/v1
peers:
  - { name: lab-site, ipAddress: ${SITE_IP} }
gateways:
  - { name: cli-gw, vpc: ${vpc.name}, subnet: ${vpc.subnets[0].name}, externalIp: auto, machineType: ${inv.machineType.id ?? inv.machineType.name}, chargeType: hourly }
tunnels:
  - name: to-lab-site
    gateway: cli-gw
    peer: lab-site
    localSubnets: [${vpc.subnets[0].name}]
    remoteCidrs: [${SITE_SUBNET}]
    psk: \${SITE_PSK}
    ikePolicy: { version: v2, lifetimeSeconds: ${lifetime} }
`;
  const file = join(product.dir, 'site.yaml');
  writeFileSync(file, site(86400));

  // Created without waiting: the remote site is configured from the tunnel's own download next.
  const first = await vpnctl(['apply', '-f', file, '--yes', '--no-wait']);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  const config = await vpnctl(['tunnel', 'config', 'to-lab-site', '--side', 'remote']);
  expect(config.code).toBe(0);
  const { conf, secrets } = splitConfigBundle(config.stdout);
  await product.lab.addSite({ name: 'lab-site', publicIp: SITE_IP, subnet: SITE_SUBNET, conf, secrets });

  const wait = await vpnctl(['tunnel', 'wait', 'to-lab-site', '--for', 'connected', '--timeout', '90s']);
  expect(wait.stderr).toBe('');
  expect(wait.code).toBe(0);
  expect(wait.stdout).toMatch(/tunnel to-lab-site \(vpntnl-\w+\) is connected/);

  // Idempotent: nothing to change, and the wait finds the tunnel connected.
  const again = await vpnctl(['apply', '-f', file, '--yes', '--timeout', '60s']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`No changes: the tenant matches ${file}.`);
  expect(again.stdout).toContain('tunnel to-lab-site connected');

  // One field edited (a local lifetime: the remote needs no new file).
  writeFileSync(file, site(28800));
  const plan = await vpnctl(['plan', '-f', file, '-o', 'json']);
  expect(JSON.parse(plan.stdout).steps).toEqual([
    { op: 'change', kind: 'tunnel', name: 'to-lab-site', id: expect.any(String), fields: [{ field: 'ikePolicy.lifetimeSeconds', from: 86400, to: 28800 }] },
  ]);
  // `tunnel logs --follow` runs meanwhile and must print the edit's configuration load.
  const follow = execFile(process.execPath, [join(REPO_ROOT, 'bin', 'vpnctl.js'), 'tunnel', 'logs', 'to-lab-site', '--follow', '--limit', '1', '-o', 'json'], {
    env: { PATH: process.env.PATH ?? '', VPNCTL_API_URL: product.baseUrl, VPNCTL_API_KEY: product.tenantKey },
  });
  let followed = '';
  follow.stdout?.on('data', (d: Buffer) => (followed += d.toString()));
  // Its first page (the newest entry) printed before the edit: on a loaded machine the CLI took
  // longer to start than the edit took to log, and then had nothing newer to follow.
  await product.waitFor(async () => followed.includes('\n'), 15_000, 'vpnctl tunnel logs --follow to print its first entry');
  const edited = await vpnctl(['apply', '-f', file, '--yes', '--timeout', '90s']);
  expect(edited.stderr).toBe('');
  expect(edited.code).toBe(0);
  expect(edited.stdout).toContain('changed tunnel to-lab-site: ikePolicy.lifetimeSeconds');
  expect(edited.stdout).toContain('tunnel to-lab-site connected');
  const logs = await product.ok('GET', `/api/v1/vpn-tunnels?q=to-lab-site`);
  const tunnel = logs.items[0];
  expect(tunnel).toMatchObject({ connectionState: 'connected', ikePolicy: { lifetimeSeconds: 28800 } });
  const events = await product.ok('GET', `/api/v1/vpn-tunnels/${tunnel.id}/logs?kind=config&limit=10`);
  expect(events.items.length).toBeGreaterThanOrEqual(2); // created, then the edit: the tunnel reconnected
  try {
    await product.waitFor(async () => followed.split('\n').filter(Boolean).length >= 2, 15_000, 'vpnctl tunnel logs --follow to print the new entries');
  } finally {
    follow.kill();
  }
  const lines = followed
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; kind: string });
  expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length); // each entry once
  expect(lines.slice(1).map((l) => l.kind)).toContain('config');

  // --prune with the tunnel and the gateway dropped: the tunnel is torn down by the host first
  // (apply waits until it is gone), then the gateway goes; the peer stays.
  writeFileSync(file, `apiVersion: vpnctl/v1\npeers:\n  - { name: lab-site, ipAddress: ${SITE_IP} }\n`);
  const pruned = await vpnctl(['apply', '-f', file, '--prune', '--yes', '--timeout', '60s']);
  expect(pruned.stderr).toBe('');
  expect(pruned.code).toBe(0);
  expect(pruned.stdout).toMatch(/- tunnel to-lab-site[^]*- gateway cli-gw[^]*Plan: 0 to create, 0 to change, 2 to delete\./);
  expect(pruned.stdout).toMatch(/deleting tunnel to-lab-site \(vpntnl-\w+\)\n(deleting|deleted) gateway cli-gw/);
  expect((await product.ok('GET', '/api/v1/vpn-tunnels')).total).toBe(0);
}, 300_000);
