// The lab on its own (no API): the region's fabric routes between subnets, and two remote sites
// running the legacy starter from hand-written ipsec.conf files build a tunnel between them.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../lab/lab';
import { run } from '../src/negotiation/host/exec';
import { ensureNamespace, namespaceExists, removeNamespace } from '../src/negotiation/host/gateway-namespace';
import { deleteLink, ensureVethPair, replaceRoute, setAddresses, setMaster } from '../src/negotiation/host/ip-link';
import { LabNames } from '../lab/lab-names';
import { isAlive } from '../src/negotiation/host/process-files';
import { forceCleanupPrefix, namespacesWithPrefix, tempDir, uniqueLabPrefix, waitFor } from './support/lab-fixtures';

jest.setTimeout(90_000);

const prefix = uniqueLabPrefix('lt');
const stateDir = tempDir('lab-e2e');
const lab = new Lab({ stateDir, prefix });

// One tunnel between the two sites, written as each site's administrator would.
function siteConf(o: { name: string; left: string; leftSubnet: string; right: string; rightSubnet: string; auto: string }): string {
  return `config setup

conn ${o.name}
    keyexchange=ikev2
    authby=psk
    left=${o.left}
    leftid=${o.left}
    leftsubnet=${o.leftSubnet}
    right=${o.right}
    rightid=${o.right}
    rightsubnet=${o.rightSubnet}
    ike=aes128-sha1-modp1024!
    esp=aes128-sha1-modp1024!
    keyingtries=%forever
    auto=${o.auto}
`;
}

afterAll(async () => {
  try {
    await lab.down();
  } finally {
    await forceCleanupPrefix(prefix);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('up without the API builds the region; instances route across subnets', async () => {
  await lab.up({ register: false });
  await lab.up({ register: false }); // idempotent
  const st = await lab.status();
  expect(st.namespaces.every((n) => n.exists)).toBe(true);
  expect(st.namespaces.map((n) => n.name)).toEqual(
    expect.arrayContaining([`${prefix}-inet`, `${prefix}-vpc-lab00001`, `${prefix}-vm-vm-a1`, `${prefix}-vm-vm-b1`, `${prefix}-vm-vm-c1`]),
  );
  const { stdout } = await lab.vmExec('vm-a1', ['ping', '-c', '2', '-W', '1', '10.1.2.10']);
  expect(stdout).toMatch(/2 received/);
  // VPCs are isolated: no route from one VPC to another outside a tunnel.
  await expect(lab.vmExec('vm-a1', ['ping', '-c', '1', '-W', '1', '192.168.1.10'])).rejects.toThrow();
});

test('the lab internet never redirects: a host of one public /24 reaches another /24 through the router, not around it', async () => {
  // Two hosts that do not forward (they accept ICMP redirects, as the benchmark's mirror does), in
  // two of the internet's /24s on its one bridge. A redirect would make the first send straight to
  // the second's MAC from then on, and keep sending there after that address moves to another MAC.
  const names = new LabNames(prefix);
  const hosts = [
    { ns: `${prefix}-rx1`, port: `${prefix}rx1`, cidr: '192.0.2.250/24', router: '192.0.2.1' },
    { ns: `${prefix}-rx2`, port: `${prefix}rx2`, cidr: '198.51.100.250/24', router: '198.51.100.1' },
  ];
  try {
    for (const h of hosts) {
      await ensureNamespace(h.ns);
      await ensureVethPair({ namespace: h.ns, name: 'eth0' }, { namespace: names.inetNamespace, name: h.port });
      await setMaster(names.inetNamespace, h.port, names.inetBridge);
      await setAddresses(h.ns, 'eth0', [h.cidr]);
      await replaceRoute(h.ns, 'default', h.router, 'eth0');
    }
    const { stdout } = await run('ip', ['netns', 'exec', hosts[0].ns, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '198.51.100.250']);
    expect(stdout).toMatch(/3 received/);
    // Still through the router: no redirected route, no neighbour entry for the other /24's host.
    const route = (await run('ip', ['-n', hosts[0].ns, 'route', 'get', '198.51.100.250'])).stdout;
    expect(route).toContain('via 192.0.2.1');
    expect(route).not.toContain('redirected');
    expect((await run('ip', ['-n', hosts[0].ns, 'neigh', 'show', '198.51.100.250'])).stdout.trim()).toBe('');
  } finally {
    for (const h of hosts) {
      await deleteLink(names.inetNamespace, h.port).catch(() => undefined);
      await removeNamespace(h.ns).catch(() => undefined);
    }
  }
});

test('two remote sites build an IKEv2 PSK tunnel and route their LANs through it', async () => {
  const dir = tempDir('lab-e2e-conf');
  try {
    const secrets = '203.0.113.10 203.0.113.20 : PSK "lab-e2e-not-a-real-secret"\n';
    const files = {
      aConf: join(dir, 'a.conf'),
      bConf: join(dir, 'b.conf'),
      secrets: join(dir, 'ipsec.secrets'),
    };
    writeFileSync(
      files.aConf,
      siteConf({ name: 'a-to-b', left: '203.0.113.10', leftSubnet: '172.16.1.0/24', right: '203.0.113.20', rightSubnet: '172.16.2.0/24', auto: 'start' }),
    );
    writeFileSync(
      files.bConf,
      siteConf({ name: 'b-to-a', left: '203.0.113.20', leftSubnet: '172.16.2.0/24', right: '203.0.113.10', rightSubnet: '172.16.1.0/24', auto: 'add' }),
    );
    writeFileSync(files.secrets, secrets);

    // The responder first, so the initiator's first IKE_SA_INIT is answered.
    await lab.addSite({ name: 'b', publicIp: '203.0.113.20', subnet: '172.16.2.0/24', confFile: files.bConf, secretsFile: files.secrets });
    await lab.addSite({ name: 'a', publicIp: '203.0.113.10', subnet: '172.16.1.0/24', confFile: files.aConf, secretsFile: files.secrets });
    expect(
      lab
        .listSites()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(existsSync(`/etc/netns/${prefix}-site-a/ipsec.conf`)).toBe(true);

    const status = await waitFor('the CHILD_SA at site a', async () => {
      const s = await lab.siteStatus('a');
      return /ESTABLISHED/.test(s) && /INSTALLED/.test(s) ? s : null;
    });
    expect(status).toMatch(/172\.16\.1\.0\/24 === 172\.16\.2\.0\/24/);

    // The user's view: from site a's host to site b's host. The lab internet has no route to
    // 172.16.0.0/16, so an answer can only come through the tunnel.
    const ping = await lab.siteExec('a', ['ping', '-c', '3', '-W', '2', '172.16.2.10'], { timeoutMs: 15_000 });
    expect(ping.stdout).toMatch(/[1-3] received/);

    // Reload re-reads the files (here unchanged) without breaking anything.
    await lab.reloadSite('b');
    expect(await lab.siteStatus('b')).toMatch(/b-to-a/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("down removes every namespace, /etc/netns entry and daemon of this lab and the gateway namespaces plugged into it, and no other lab's", async () => {
  const pids = lab
    .listSites()
    .map((s) => s.pid)
    .filter((p): p is number => Boolean(p));
  expect(pids.length).toBe(2);
  // Gateway namespaces: one plugged into this lab as the worker plugs them (its port on the lab's
  // internet bridge), one plugged into nothing (whose? another lab's host may have lost power: the
  // library's down leaves it to the explicit `lab down` sweep), one plugged into something else.
  const ours = `vpngw-${prefix}g`;
  const orphan = `vpngw-${prefix}o`;
  const elsewhere = `vpngw-${prefix}p`;
  for (const ns of [ours, orphan, elsewhere]) await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ours, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', new LabNames(prefix).gatewayPort(ours), 'netns', `${prefix}-inet`]);
    await run('ip', ['-n', elsewhere, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
    await lab.down();
    expect(namespaceExists(ours)).toBe(false);
    expect(namespaceExists(orphan)).toBe(true);
    expect(namespaceExists(elsewhere)).toBe(true);
  } finally {
    for (const ns of [ours, orphan, elsewhere]) await removeNamespace(ns).catch(() => undefined);
  }
  expect(await namespacesWithPrefix(prefix)).toEqual([]);
  expect(existsSync(`/etc/netns/${prefix}-site-a`)).toBe(false);
  expect(existsSync(`/etc/netns/${prefix}-site-b`)).toBe(false);
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
  expect((await lab.status()).up).toBe(false);
});
