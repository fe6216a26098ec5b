// The tunnel list's total. The tenant's whole list is counted from its gateways' tunnel counts
// (tunnels.queries.ts, tunnelListStatement), so those counts must follow every create and delete,
// concurrent ones included: the total always equals the tenant's rows, and a filtered list still
// counts its rows.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let pg: Client;
let w: TenantWorld;
let t: ReturnType<typeof client>;
const gateways: string[] = [];
const peers: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  w = await createTenantWorld(api, 'list-total', 8, 2);
  t = client(api, w.key);
  for (let i = 0; i < 2; i++) {
    gateways.push((await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, i)), 201)).id);
    peers.push((await t.ok(t.post('/api/v1/peer-gateways', { name: `peer-${i}`, ipAddress: `203.0.113.${80 + i}` }), 201)).id);
  }
  // Another tenant's tunnel is in neither count.
  const other = await createTenantWorld(api, 'list-total-other', 9, 1);
  const o = client(api, other.key);
  const gw = await o.ok(o.post('/api/v1/vpn-gateways', gatewayBody(other, 0)), 201);
  const peer = await o.ok(o.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.90' }), 201);
  await o.ok(o.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, other)), 201);
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
});

let n = 0;
const create = (g: number) =>
  t.post(
    '/api/v1/vpn-tunnels',
    tunnelBody(gateways[g], peers[g], w, { name: `t-${n}`, remoteCidrs: [`172.16.${n++}.0/24`], ikePolicy: { remoteId: `t${n}.example` } }),
  );
const rows = async () => Number((await pg.query('SELECT count(*) FROM vpn_tunnels WHERE tenant_id = $1', [w.tenantId])).rows[0].count);
const total = async (query = '') => (await t.ok(t.get(`/api/v1/vpn-tunnels?${query}`))).total as number;

it("the whole list's total is the tenant's rows, through creates, concurrent creates and deletes", async () => {
  for (const g of [0, 0, 0, 1, 1]) await t.ok(create(g), 201);
  expect(await rows()).toBe(5);
  expect(await total()).toBe(5);
  expect(await total('limit=2')).toBe(5);
  // Past the last page no row carries the total: it is counted alone, the same way.
  expect(await total('offset=10')).toBe(5);
  expect(await total(`gatewayId=${gateways[1]}`)).toBe(2);

  // Eight at once on two gateways: each create counts under its gateway's lock.
  const results = await Promise.all([0, 1, 0, 1, 0, 1, 0, 1].map((g) => create(g)));
  expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
  expect(await rows()).toBe(13);
  expect(await total()).toBe(13);
  expect(await total(`gatewayId=${gateways[0]}`)).toBe(7);

  // On a gateway no host serves the API deletes a tunnel at once; on a served one the tunnel goes
  // `deleting` (still listed) and its worker finishes it (NegotiationStore.finishTunnelDeletion).
  // Either way the row and its gateway's count go in one transaction.
  const store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)));
  const page = await t.ok(t.get(`/api/v1/vpn-tunnels?gatewayId=${gateways[1]}&limit=3`));
  const [now, ...byWorker] = page.items.map((item: { id: string }) => item.id);
  expect(await t.ok(t.delete(`/api/v1/vpn-tunnels/${now}`))).toEqual({ deleted: [now], deleting: [] });
  expect(await total()).toBe(12);
  await pg.query(`UPDATE vpn_tunnels SET resource_state = 'deleting' WHERE id = ANY($1)`, [byWorker]);
  expect(await total()).toBe(12);
  await Promise.all(byWorker.map((id: string) => store.finishTunnelDeletion(id)));
  expect(await rows()).toBe(10);
  expect(await total()).toBe(10);
  expect(await total(`gatewayId=${gateways[1]}`)).toBe(3);
  expect(await total('offset=100')).toBe(10);
});
