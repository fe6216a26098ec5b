// vpnctl, the real CLI process (bin/vpnctl.js over dist/cli), against the real API listening on a
// port (PostgreSQL, Redis): login, create from flags, get round-trips, plan/apply of a site file,
// idempotence, an edited field, --prune, errors naming the field, exit codes. No gateway host
// runs here, so tunnels never connect: that is the `wait` timeout case (exit 3).
import { execFile, execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, TenantWorld } from '../support/fixtures';

const ROOT = join(__dirname, '..', '..');
const VPNCTL = join(ROOT, 'bin', 'vpnctl.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let api: TestApi;
let apiUrl: string;
let dir: string;

/** Runs vpnctl as a separate process (asynchronously: the API answers from this same process). */
function vpnctl(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [VPNCTL, ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, VPNCTL_CONFIG: join(dir, 'config.json'), ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** As a tenant, without login: the environment's credentials. */
const as = (w: TenantWorld) => ({ VPNCTL_API_URL: apiUrl, VPNCTL_API_KEY: w.key });

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.cli.json')], { cwd: ROOT });
  api = await startTestApi();
  await api.app.listen(0, '127.0.0.1');
  apiUrl = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'vpnctl-test-'));
}, 120_000);

afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('login and whoami', () => {
  it('checks the key, saves URL and key with mode 600, and whoami answers from the file', async () => {
    const w = await createTenantWorld(api, 'cli-login', 11);
    const login = await vpnctl(['login', '--api-url', `${apiUrl}/api/v1`, '--api-key-stdin'], {}, `${w.key}\n`);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('tenant cli-login');
    const file = join(dir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ apiUrl, apiKey: w.key });
    const who = await vpnctl(['whoami', '-o', 'json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ apiUrl, role: 'tenant', tenantId: w.tenantId, tenantName: 'cli-login' });
  });

  it('refuses a wrong key with exit 1 and saves nothing; the environment overrides the file', async () => {
    const w = await createTenantWorld(api, 'cli-env', 12);
    const before = readFileSync(join(dir, 'config.json'), 'utf8');
    const bad = await vpnctl(['login', '--api-url', apiUrl, '--api-key', 'not-a-key']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/HTTP 401/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before);
    const who = await vpnctl(['whoami', '-o', 'json'], { VPNCTL_API_KEY: w.key });
    expect(JSON.parse(who.stdout)).toMatchObject({ tenantName: 'cli-env', config: 'environment' });
  });
});

describe('create from flags, get, describe, delete', () => {
  let w: TenantWorld;
  beforeAll(async () => {
    w = await createTenantWorld(api, 'cli-flags', 13);
  });

  it('creates a peer, buys a gateway and creates a tunnel with both policies; get -o json round-trips the API', async () => {
    const peer = await vpnctl(['create', 'peer', '--name', 'hq', '--ip', '203.0.113.43', '-o', 'json'], as(w));
    expect(peer.code).toBe(0);
    expect(JSON.parse(peer.stdout)).toMatchObject({ name: 'hq', ipAddress: '203.0.113.43' });

    // Without a terminal, buying needs --yes (usage error, nothing bought).
    const unconfirmed = await vpnctl(['gateway', 'buy', '--name', 'gw-a', '--vpc', 'vpc', '--subnet', 's1', '--machine-type', w.machineTypeId], as(w));
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    const gw = await vpnctl(
      ['gateway', 'buy', '--name', 'gw-a', '--vpc', 'vpc', '--subnet', 's1', '--external-ip', w.externalIps[0], '--machine-type', w.machineTypeId, '--yes'],
      as(w),
    );
    expect(gw.stderr).toBe('');
    expect(gw.code).toBe(0);
    expect(gw.stdout).toMatch(/Price: 200\.00 CNY \(monthly/);
    expect(gw.stdout).toMatch(/gw-a +creating +vpc +s1 +198\.51\.100\./);

    const tunnel = await vpnctl(
      [
        'create',
        'tunnel',
        '--name',
        'to-hq',
        '--gateway',
        'gw-a',
        '--peer',
        'hq',
        '--local-subnet',
        's1',
        '--local-subnet',
        '10.13.2.0/24',
        '--remote-cidr',
        '172.16.43.0/24',
        '--psk-stdin',
        '--ike-version',
        'v1',
        '--ike-exchange-mode',
        'aggressive',
        '--ike-dh-group',
        '14',
        '--ike-auth',
        'sha2-256',
        '--ike-encryption',
        'aes256',
        '--ike-lifetime',
        '28800',
        '--ike-remote-id',
        'hq.example.com',
        '--ipsec-pfs-group',
        'disable',
        '--ipsec-auth',
        'md5',
        '--ipsec-encryption',
        'aes192',
        '--ipsec-lifetime',
        '7200',
        '-o',
        'json',
      ],
      as(w),
      'Cli.Secret-43\n',
    );
    expect(tunnel.stderr).toBe('');
    expect(tunnel.code).toBe(0);
    const created = JSON.parse(tunnel.stdout);
    expect(created.ikePolicy).toMatchObject({
      version: 'v1',
      exchangeMode: 'aggressive',
      dhGroup: 14,
      authAlgorithm: 'sha2-256',
      encryptionAlgorithm: 'aes256',
      lifetimeSeconds: 28800,
      remoteId: 'hq.example.com',
    });
    expect(created.ipsecPolicy).toMatchObject({ pfsGroup: 'disable', authAlgorithm: 'md5', encryptionAlgorithm: 'aes192', lifetimeSeconds: 7200 });
    expect(created.localSubnets.map((s: { name: string }) => s.name).sort()).toEqual(['s1', 's2']);

    const got = await vpnctl(['get', 'tunnel', 'to-hq', '-o', 'json'], as(w));
    const fromApi = await client(api, w.key).ok(client(api, w.key).get(`/api/v1/vpn-tunnels/${created.id}`));
    expect(JSON.parse(got.stdout)).toEqual(fromApi);
    const list = await vpnctl(['get', 'tunnels', '--gateway', 'gw-a', '-o', 'yaml'], as(w));
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`id: ${created.id}`);
    const table = await vpnctl(['get', 'tunnels', '-q', 'to-hq'], as(w));
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +NAME +STATE +CONNECTION/);
    expect(table.stdout).toContain('to-hq');
    const described = await vpnctl(['describe', 'peer', 'hq'], as(w));
    expect(described.stdout).toMatch(/^id: rgw-/);
  });

  it("a bad field: exit 1 with the field and the rule from the API's error body; nothing created", async () => {
    const bad = await vpnctl(
      [
        'create',
        'tunnel',
        '--name',
        'bad',
        '--gateway',
        'gw-a',
        '--peer',
        'hq',
        '--local-subnet',
        's3',
        '--remote-cidr',
        '172.16.44.0/24',
        '--psk',
        'x',
        '--ike-dh-group',
        '3',
      ],
      as(w),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ikePolicy\.dhGroup: .*\[rule: one_of\]/);
    const none = await vpnctl(['get', 'tunnels', '-q', 'bad', '-o', 'json'], as(w));
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('usage mistakes exit 2; an unknown name exits 1 naming it', async () => {
    expect((await vpnctl(['get', 'tunnels', '--no-such-flag'], as(w))).code).toBe(2);
    expect((await vpnctl(['get', 'tunnels', '-o', 'xml'], as(w))).code).toBe(2);
    expect((await vpnctl(['get', 'widgets'], as(w))).code).toBe(2);
    const missing = await vpnctl(['describe', 'gateway', 'nope'], as(w));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no gateway named nope');
  });

  it('tunnel wait times out with exit 3 (no gateway host: the tunnel never connects), printing plain progress lines when piped', async () => {
    const started = Date.now();
    const wait = await vpnctl(['tunnel', 'wait', 'to-hq', '--for', 'connected', '--timeout', '2s', '--interval', '500ms'], as(w));
    expect(wait.code).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(wait.stdout).toMatch(/^to-hq: creating\/connecting/m);
    expect(wait.stdout).not.toContain('\r');
    expect(wait.stderr).toMatch(/timed out: tunnel vpntnl-\w+ is connecting, not connected, after 2 s/);
  });

  it('creates an alert template from flags and gets it by name', async () => {
    const created = await vpnctl(
      [
        'create',
        'alert-template',
        '--name',
        'down-3',
        '--rule',
        'tunnel_health:lt:1:3',
        '--webhook',
        'https://hooks.example.com/vpn',
        '--webhook-secret',
        'a-signing-secret-0123',
        '--console',
        '-o',
        'json',
      ],
      as(w),
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'down-3', rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }] });
    const got = await vpnctl(['get', 'alert-templates', 'down-3'], as(w));
    expect(got.stdout).toMatch(/down-3 +- +tunnel_health lt 1 x3 +webhook,console/);
  });

  it("tunnel config prints the remote side's file; delete removes the tunnel", async () => {
    const conf = await vpnctl(['tunnel', 'config', 'to-hq', '--side', 'remote', '--vendor', 'strongswan-ipsec'], as(w));
    expect(conf.code).toBe(0);
    expect(conf.stdout).toContain('conn ');
    const logs = await vpnctl(['tunnel', 'logs', 'to-hq', '-o', 'json'], as(w));
    expect(logs.code).toBe(0);
    const del = await vpnctl(['delete', 'tunnel', 'to-hq'], as(w));
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/tunnel to-hq \(vpntnl-\w+\) deleted/);
  });
});

describe('plan and apply a site file', () => {
  let w: TenantWorld;
  let site: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const siteYaml = (pfs: string | number, withSecond = true, options = '') => `apiVersion: vpnctl/v1
peers:
  - name: branch
    ipAddress: 203.0.113.45
${
  withSecond
    ? `  - name: branch-b
    ipAddress: 203.0.113.46
`
    : ''
}gateways:
  - name: gw-site
    vpc: vpc
    subnet: s1
    externalIp: auto
    machineType: ${w.machineTypeId}
    chargeType: monthly
tunnels:
  - name: to-branch
    gateway: gw-site
    peer: branch
    localSubnets: [s1]
    remoteCidrs: [172.16.45.7/24]   # host bits: the API stores 172.16.45.0/24
    psk: \${BRANCH_PSK}
    ikePolicy: { version: v2, dhGroup: 14, lifetimeSeconds: 28800 }
    ipsecPolicy: { pfsGroup: ${pfs} }
${options}${
    withSecond
      ? `  - name: to-branch-b
    gateway: gw-site
    peer: branch-b
    localSubnets: [s2]
    remoteCidrs: [172.16.46.0/24]
    psk: \${BRANCH_PSK}
`
      : ''
  }`;
  const env = () => ({ ...as(w), BRANCH_PSK: 'Site.Secret-45' });
  const planJson = async (path: string, extra: string[] = []) => {
    const r = await vpnctl(['plan', '-f', path, '-o', 'json', ...extra], env());
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as {
      steps: { op: string; kind: string; name: string; fields: { field: string; from?: unknown; to: unknown }[] }[];
      unmanaged: unknown[];
    };
  };

  beforeAll(async () => {
    w = await createTenantWorld(api, 'cli-site', 14);
    site = file('site.yaml', siteYaml(2));
  });

  it('plan on an empty tenant lists every create, PSKs masked', async () => {
    const text = await vpnctl(['plan', '-f', site], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('+ peer branch');
    expect(text.stdout).toContain('+ gateway gw-site');
    expect(text.stdout).toContain('+ tunnel to-branch\n');
    expect(text.stdout).toContain('psk: (secret)');
    expect(text.stdout).not.toContain('Site.Secret-45');
    expect(text.stdout).toContain('Plan: 5 to create, 0 to change, 0 to delete.');
    const plan = await planJson(site);
    expect(plan.steps.map((s) => `${s.op} ${s.kind} ${s.name}`)).toEqual([
      'create peer branch',
      'create peer branch-b',
      'create gateway gw-site',
      'create tunnel to-branch',
      'create tunnel to-branch-b',
    ]);
  });

  it('apply creates in dependency order; a second apply has nothing to change', async () => {
    const first = await vpnctl(['apply', '-f', site, '--no-wait', '--yes'], env());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created peer branch[^]*created gateway gw-site[^]*created tunnel to-branch /);
    const tunnels = await client(api, w.key).ok(client(api, w.key).get('/api/v1/vpn-tunnels?q=to-branch'));
    expect(tunnels.total).toBe(2);
    const second = await vpnctl(['apply', '-f', site, '--no-wait', '--yes'], env());
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`No changes: the tenant matches ${site}.`);
    expect(second.stdout).not.toMatch(/created|changed|deleted/);
  });

  it('an edited policy field shows exactly that field in plan, and apply changes it', async () => {
    const edited = file('site-pfs.yaml', siteYaml(14));
    const plan = await planJson(edited);
    expect(plan.steps).toEqual([
      { op: 'change', kind: 'tunnel', name: 'to-branch', id: expect.stringMatching(/^vpntnl-/), fields: [{ field: 'ipsecPolicy.pfsGroup', from: 2, to: 14 }] },
    ]);
    const apply = await vpnctl(['apply', '-f', edited, '--no-wait', '--yes'], env());
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('changed tunnel to-branch: ipsecPolicy.pfsGroup');
    expect((await planJson(edited)).steps).toEqual([]);
  });

  it('tunnel options (issue 16) in a site file: plan shows the fields that differ, apply sets them through PUT .../options', async () => {
    const edited = file('site-options.yaml', siteYaml(14, true, '    dpd: { delaySeconds: 5 }\n    tcpMssClamp: 1300\n'));
    const plan = await planJson(edited);
    expect(plan.steps).toEqual([
      {
        op: 'change',
        kind: 'tunnel',
        name: 'to-branch',
        id: expect.stringMatching(/^vpntnl-/),
        fields: [
          { field: 'dpd.delaySeconds', from: 8, to: 5 },
          { field: 'tcpMssClamp', from: null, to: 1300 },
        ],
      },
    ]);
    const apply = await vpnctl(['apply', '-f', edited, '--no-wait', '--yes'], env());
    expect(apply.code).toBe(0);
    const tunnels = await client(api, w.key).ok(client(api, w.key).get('/api/v1/vpn-tunnels?q=to-branch&sort=name'));
    expect(tunnels.items.find((t: any) => t.name === 'to-branch')).toMatchObject({
      dpd: { delaySeconds: 5, timeoutSeconds: 13, action: 'restart' },
      tcpMssClamp: 1300,
      ikeFragmentation: true,
    });
    expect((await planJson(edited)).steps).toEqual([]);
  });

  it('two new gateways with externalIp auto get two different addresses', async () => {
    const two = file(
      'site-two.yaml',
      `apiVersion: vpnctl/v1
gateways:
  - { name: gw-x, vpc: vpc, subnet: s2, externalIp: auto, machineType: ${w.machineTypeId}, chargeType: hourly }
  - { name: gw-y, vpc: vpc, subnet: s3, externalIp: auto, machineType: ${w.machineTypeId}, chargeType: hourly }
`,
    );
    const plan = await planJson(two);
    const addresses = plan.steps.filter((s) => s.kind === 'gateway').map((s) => s.fields.find((f) => f.field === 'externalIp')!.to);
    expect(addresses).toHaveLength(2);
    expect(new Set(addresses).size).toBe(2);
  });

  it('a changed PSK shows masked, never its value', async () => {
    const r = await vpnctl(['plan', '-f', site], { ...env(), BRANCH_PSK: 'Other.Secret-46' });
    expect(r.stdout).toContain('psk: (secret) -> (changed)');
    expect(r.stdout).not.toMatch(/Other\.Secret|Site\.Secret/);
  });

  it('--prune deletes what the file dropped; without it, plan only mentions it', async () => {
    const dropped = file('site-dropped.yaml', siteYaml(14, false));
    const plain = await planJson(dropped);
    expect(plain.steps).toEqual([]);
    expect(plain.unmanaged).toEqual([
      { kind: 'tunnel', name: 'to-branch-b', id: expect.any(String) },
      { kind: 'peer', name: 'branch-b', id: expect.any(String) },
    ]);
    const pruning = await planJson(dropped, ['--prune']);
    expect(pruning.steps.map((s) => `${s.op} ${s.kind} ${s.name}`)).toEqual(['delete tunnel to-branch-b', 'delete peer branch-b']);
    const apply = await vpnctl(['apply', '-f', dropped, '--prune', '--no-wait', '--yes'], env());
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/deleted tunnel to-branch-b[^]*deleted peer branch-b/);
    const left = await client(api, w.key).ok(client(api, w.key).get('/api/v1/vpn-tunnels'));
    expect(left.items.map((t: { name: string }) => t.name)).toEqual(['to-branch']);
    const peersLeft = await client(api, w.key).ok(client(api, w.key).get('/api/v1/peer-gateways'));
    expect(peersLeft.items.map((p: { name: string }) => p.name)).toEqual(['branch']);
    expect((await planJson(dropped, ['--prune'])).steps).toEqual([]);
  });

  it('a file that breaks the schema exits 1 naming the field, before any API call', async () => {
    const bad = file('site-bad.yaml', siteYaml('"none"').replace('dhGroup: 14', 'dhGroup: 3'));
    const r = await vpnctl(['plan', '-f', bad], { ...env(), VPNCTL_API_URL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tunnels[0].ikePolicy.dhGroup: must be equal to one of the allowed values: 1, 2, 5, 14, 24, 19, 20, 21, 31 [rule: enum]');
    expect(r.stderr).toContain('tunnels[0].ipsecPolicy.pfsGroup');
    const missingEnv = await vpnctl(['plan', '-f', site], as(w));
    expect(missingEnv.code).toBe(1);
    expect(missingEnv.stderr).toContain('tunnels[0].psk: environment variable BRANCH_PSK is not set');
  });

  it('apply waits for the tunnels unless --no-wait: exit 3 when they do not connect in time', async () => {
    const r = await vpnctl(['apply', '-f', site, '--yes', '--timeout', '2s'], env());
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/tunnel vpntnl-\w+ is connecting, not connected/);
  });
});
