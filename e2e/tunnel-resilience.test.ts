// Issue 3 scenario i: SIGKILL a gateway's charon, then the worker itself (with a change made while
// it is down): everything converges back to connected, with no duplicate connections in charon.
import { readFileSync } from 'fs';
import { join } from 'path';
import { Product } from './support/product';
import { withVici } from './support/vici';
import { uniqueLabPrefix } from './support/lab-fixtures';

const product = new Product({ labPrefix: uniqueLabPrefix('ed') });
let gw: any;

beforeAll(async () => {
  await product.start();
  gw = await product.createGateway('resilient-gw');
}, 120_000);
afterAll(() => product.stop(), 60_000);

async function tunnelToSite(n: number) {
  const ip = `203.0.113.${50 + n}`;
  const cidr = `172.16.${50 + n}.0/24`;
  const peer = await product.ok('POST', '/api/v1/peer-gateways', { name: `site${n}`, ipAddress: ip });
  const t = await product.ok('POST', '/api/v1/vpn-tunnels', {
    name: `t${n}`,
    gatewayId: gw.id,
    peerId: peer.id,
    localSubnetIds: [product.inventory.vpcs[0].subnets[0].id],
    remoteCidrs: [cidr],
    psk: `resilient-${n}.Key`,
  });
  await product.addSiteFromDownload(t.id, { name: `site${n}`, publicIp: ip, subnet: cidr });
  return t;
}

const charonPid = () => Number(readFileSync(join(product.dir, 'gateways', gw.id, 'charon.pid'), 'utf8').trim());

async function expectConverged(tunnelIds: string[]) {
  const wanted = tunnelIds
    .map((id) => `ipsvpn_${id}`)
    .sort()
    .join(',');
  let conns: string[] = [];
  await product.waitFor(
    async () => {
      conns = await withVici(product.viciSocket(gw.id), (c) => c.getConns());
      return [...conns].sort().join(',') === wanted;
    },
    60_000,
    'charon to hold exactly the tunnels',
  );
  for (const id of tunnelIds) await product.waitForTunnel(id, ['connected'], 90_000);
  expect(new Set(conns).size).toBe(conns.length);
  for (const n of [1, 2, 3].slice(0, tunnelIds.length)) expect(await product.waitForPing('vm-a1', `172.16.${50 + n}.10`)).toBe(true);
}

it('i. a SIGKILLed charon is restarted and its tunnels reloaded; a SIGKILLed worker converges on restart', async () => {
  const t1 = await tunnelToSite(1);
  const t2 = await tunnelToSite(2);
  await expectConverged([t1.id, t2.id]);

  const before = charonPid();
  process.kill(before, 'SIGKILL');
  await product.waitFor(
    async () => {
      try {
        return charonPid() !== before;
      } catch {
        return false;
      }
    },
    30_000,
    'charon restarted',
  );
  await expectConverged([t1.id, t2.id]);

  product.killWorker('SIGKILL');
  // Changes while no worker runs: a new tunnel, and a policy edit. Their jobs wait in the queue.
  const t3 = await tunnelToSite(3);
  await product.ok('PUT', `/api/v1/vpn-tunnels/${t1.id}/ike-policy`, { lifetimeSeconds: 7200 });
  await product.startWorker();
  await expectConverged([t1.id, t2.id, t3.id]);
  expect((await product.ok('GET', `/api/v1/vpn-tunnels/${t1.id}`)).ikePolicy.lifetimeSeconds).toBe(7200);
  const sas = await withVici(product.viciSocket(gw.id), (c) => c.listSas());
  // At most one established IKE SA per connection once things settle.
  const perConn = new Map<string, number>();
  for (const s of sas.filter((x) => x.sa.state === 'ESTABLISHED')) perConn.set(s.name, (perConn.get(s.name) ?? 0) + 1);
  expect(Math.max(...perConn.values())).toBeLessThanOrEqual(2);
});
