// Issue 11, done-means 2-4: failures that used to hide. An IKEv2 PFS mismatch (the first CHILD_SA
// comes up without a DH exchange), a remote that refuses a later rekey, an IKEv1 tunnel whose remote
// lacks one of its subnets (no SA leak, the working pair keeps its routes), and an IKEv1 remote
// against an IKEv2 tunnel. Remote sites run strongSwan's starter with the downloaded file, edited as
// a remote administrator would get it wrong.
import { writeFileSync } from 'fs';
import { uniqueLabPrefix } from './support/lab-fixtures';
import { Product } from './support/product';
import { withVici } from './support/vici';

const PERIOD_MS = 2000;
// Alerts are evaluated every 2 s on samples taken every second, so "health 0 for 3 periods" fires fast.
const product = new Product({ labPrefix: uniqueLabPrefix('dg'), workerEnv: { ALERT_EVALUATION_INTERVAL_MS: String(PERIOD_MS), METRICS_INTERVAL_MS: '1000' } });
let gw: any;
let subnetA1: any;

beforeAll(async () => {
  await product.start();
  gw = await product.createGateway('diagnosis-gw');
  subnetA1 = product.inventory.vpcs[0].subnets[0];
}, 120_000);
afterAll(() => product.stop(), 60_000);

async function tunnel(name: string, peerIp: string, remoteCidrs: string[], extra: object = {}) {
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name, ipAddress: peerIp });
  return product.ok('POST', '/api/v1/vpn-tunnels', {
    name,
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [subnetA1.id],
    remoteCidrs,
    psk: `diag-${name}.Key`,
    ...extra,
  });
}

const logsOf = async (id: string) => (await product.ok('GET', `/api/v1/vpn-tunnels/${id}/logs?limit=100`)).items as any[];

it('2a. IKEv2 PFS mismatch: phase2_failed naming PFS within 30 s, never "connected"; the right file then connects', async () => {
  const t = await tunnel('pfs', '203.0.113.51', ['172.16.51.0/24']);
  const added = Date.now();
  await product.addSiteFromDownload(t.id, { name: 'pfs', publicIp: '203.0.113.51', subnet: '172.16.51.0/24' }, (b) => ({
    // The remote admin turned PFS off: IKE_AUTH's CHILD_SA still comes up (it has no DH exchange).
    conf: b.conf.replace('esp=aes128-sha1-modp1024!', 'esp=aes128-sha1!'),
    secrets: b.secrets,
  }));
  const failed = await product.waitForTunnel(t.id, ['phase2_failed'], 30_000);
  expect(Date.now() - added).toBeLessThan(30_000);
  expect(failed.failure).toMatchObject({ code: 'ipsec_proposal_mismatch', phase: 2 });
  expect(failed.failure.message).toMatch(/PFS setting differs.*DH group 2/);
  expect(failed.failure.tries).toBeGreaterThanOrEqual(3);
  expect(Date.parse(failed.failure.at)).toBeGreaterThan(added);
  const logs = await logsOf(t.id);
  expect(logs.some((e) => e.kind === 'connected' || (e.kind === 'attempt' && e.result === 'success'))).toBe(false);
  expect(logs.find((e) => e.kind === 'attempt' && e.result === 'failure').lines.join('\n')).toMatch(/NO_PROPOSAL_CHOSEN|rekeying failed/);

  // The remote loads the file as downloaded: the 12 s retry connects, and traffic flows.
  await product.lab.removeSite('pfs');
  await product.addSiteFromDownload(t.id, { name: 'pfs', publicIp: '203.0.113.51', subnet: '172.16.51.0/24' });
  const healed = await product.waitForTunnel(t.id, ['connected'], 40_000);
  expect(healed.failure).toBeNull();
  expect(await product.waitForPing('vm-a1', '172.16.51.10')).toBe(true);
});

it('2b. a remote that refuses a later rekey: a failure with its reason, a log entry and a fired alert', async () => {
  // IKEv1 rekeys by reauthenticating, which the remote answers with its configuration of now (an
  // IKEv2 strongSwan remote keeps answering rekeys with the settings the SA was made with).
  const t = await tunnel('rekey', '203.0.113.52', ['172.16.52.0/24'], { ikePolicy: { version: 'v1', exchangeMode: 'main' } });
  const site = await product.addSiteFromDownload(t.id, { name: 'rekey', publicIp: '203.0.113.52', subnet: '172.16.52.0/24' });
  await product.waitForTunnel(t.id, ['connected'], 60_000);
  // Hours later in real life: past the window in which a lost CHILD_SA counts as a refused one.
  await new Promise((r) => setTimeout(r, 11_000));
  // The remote admin changes the pre-shared key on the remote only, without restarting anything.
  writeFileSync(site.secretsFile, site.secrets.replace(/PSK ".*"/, 'PSK "changed-on-the-remote"'));
  await product.lab.reloadSite('rekey');
  expect((await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`)).connectionState).toBe('connected');
  // The IKE_SA's rekey, as charon's timer would start it at the end of the IKE lifetime.
  const rekeyedAt = Date.now();
  await withVici(product.viciSocket(gw.id), (c) => c.rekey({ ike: `ipsvpn_${t.id}`, reauth: true }));

  await product.waitFor(async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`)).failure !== null, 60_000, 'the tunnel to show a failure');
  const shown = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`);
  // Beside `connected` any rekey reason; once down, the tries name the changed key.
  // (psk_mismatch when the reason came from the remote's own try, which charon's responder lines name: issue 16.)
  if (shown.connectionState !== 'connected') expect(['psk_mismatch_or_id_mismatch', 'psk_mismatch']).toContain(shown.failure.code);
  const entries = (await logsOf(t.id)).filter((e) => Date.parse(e.at) >= rekeyedAt - 1000);
  expect(entries.some((e) => e.result === 'failure' && e.reasonCode)).toBe(true);
  // The tenant's default template (tunnel health < 1 for 3 periods) fires.
  await product.waitFor(
    async () => {
      const alerts = await product.ok('GET', `/api/v1/alerts?resourceId=${t.id}`);
      return alerts.items.some((a: any) => a.state === 'firing');
    },
    60_000,
    'a firing alert for the tunnel',
  );
});

it("3. IKEv1, two remote subnets, one missing on the remote: SA counts stay equal to the pairs up, the working pair's routes and ping never stop, the API shows 1 of 2", async () => {
  const t = await tunnel('half', '203.0.113.53', ['172.16.53.0/24', '172.16.54.0/24'], { ikePolicy: { version: 'v1', exchangeMode: 'main' } });
  await product.addSiteFromDownload(t.id, { name: 'half', publicIp: '203.0.113.53', subnet: '172.16.53.0/24' }, (b) => ({
    // The remote admin has not added the second subnet yet: its conn for that pair is missing. The
    // remote only answers (auto=add), so every CHILD_SA counted is one the platform's tries made.
    conf: b.conf.replace(new RegExp(`\\nconn ipsvpn_${t.id}-2\\n(    .*\\n)+`), '\n').replace(/auto=start/g, 'auto=add'),
    secrets: b.secrets,
  }));
  expect(await product.waitForPing('vm-a1', '172.16.53.10', 60_000)).toBe(true);
  const failed = await product.waitForTunnel(t.id, ['phase2_failed'], 60_000);
  // Tries that started before the site existed fail as peer_unreachable (under load the lab takes
  // longer than one try's 9.5 s to bring the site up): only what follows is the missing pair's.
  const siteAnswering = Date.now();
  expect(failed.failure.code).toBe('traffic_selectors_mismatch');
  expect(failed.subnetPairs).toEqual({ total: 2, up: 1, down: [{ localCidr: subnetA1.cidr, remoteCidr: '172.16.54.0/24' }] });

  const SOAK_MS = 120_000;
  const ping = product.backgroundPing('vm-a1', '172.16.53.10', SOAK_MS / 200);
  const counts: { platform: number; remote: number }[] = [];
  const started = Date.now();
  while (Date.now() - started < SOAK_MS) {
    counts.push({ platform: await platformChildSas(t.id), remote: await remoteChildSas('half') });
    await new Promise((r) => setTimeout(r, 10_000));
  }
  const result = await ping;
  console.log(`partial tunnel: SA counts ${JSON.stringify(counts)}, ping ${JSON.stringify(result)}`);
  expect(counts.every((c) => c.platform === 1 && c.remote === 1)).toBe(true);
  expect(result.sent).toBeGreaterThan(500);
  expect(result.received).toBe(result.sent);
  // The working pair's route stayed; the failing pair never got one.
  expect(await product.agentRoutes('vm-a1')).toContain(`172.16.53.0/24 via ${gw.privateIp}`);
  expect((await product.agentRoutes('vm-a1')).some((r) => r.startsWith('172.16.54.0/24'))).toBe(false);
  const logs = await logsOf(t.id);
  // Every failed try is the missing pair's (shown in full when one is not).
  const otherFailures = logs.filter(
    (e) => e.kind === 'attempt' && e.result === 'failure' && Date.parse(e.at) >= siteAnswering && e.reasonCode !== 'traffic_selectors_mismatch',
  );
  expect(logs.filter((e) => e.kind === 'attempt' && e.result === 'failure' && Date.parse(e.at) >= siteAnswering).length).toBeGreaterThan(3);
  expect(otherFailures.map((e) => ({ at: e.at, reasonCode: e.reasonCode, message: e.message, lines: e.lines?.slice(-6) }))).toEqual([]);
  const list = await product.ok('GET', `/api/v1/vpn-tunnels?q=${t.id}`);
  expect(list.items[0].subnetPairs).toMatchObject({ total: 2, up: 1 });
}, 240_000);

it('4. an IKEv1 remote against an IKEv2 tunnel: ike_version_or_mode_mismatch', async () => {
  const t = await tunnel('version', '203.0.113.55', ['172.16.55.0/24']);
  await product.addSiteFromDownload(t.id, { name: 'version', publicIp: '203.0.113.55', subnet: '172.16.55.0/24' }, (b) => ({
    conf: b.conf.replace('keyexchange=ikev2', 'keyexchange=ikev1'),
    secrets: b.secrets,
  }));
  const failed = await product.waitForTunnel(t.id, ['phase1_failed'], 60_000);
  await product.waitFor(
    async () => (await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`)).failure?.code === 'ike_version_or_mode_mismatch',
    40_000,
    `the version mismatch (last: ${JSON.stringify(failed.failure)})`,
  );
  const shown = await product.ok('GET', `/api/v1/vpn-tunnels/${t.id}`);
  expect(shown.failure.message).toContain('the remote initiates with IKEv1 main mode, but this tunnel uses IKEv2');
});

/** CHILD_SAs of the tunnel in the platform's charon, whatever their state (a leak shows as REKEYED ones). */
async function platformChildSas(tunnelId: string): Promise<number> {
  const sas = await withVici(product.viciSocket(gw.id), (c) => c.listSas({ ike: `ipsvpn_${tunnelId}` }));
  return sas.reduce((n, s) => n + s.children.length, 0);
}

/** CHILD_SAs the remote's charon holds (`ipsec statusall` lists each as `name{n}:  STATE`). */
async function remoteChildSas(site: string): Promise<number> {
  const r = await product.siteExec(site, ['ipsec', 'statusall'], { router: true });
  return r.stdout.split('\n').filter((l) => /\{\d+\}:\s+[A-Z]+,/.test(l)).length;
}
