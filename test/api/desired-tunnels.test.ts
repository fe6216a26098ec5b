// What the worker reads to configure charon (NegotiationStore.desiredTunnel / desiredTunnels, plain
// SQL of only the columns it uses) equals what the API renders from the stored entity for the same
// tunnel (toRenderable of the TypeORM entity, as the configuration download does), for every
// option that changes a rendering; through the worker's prepared statements and through TypeORM's
// pool alike.
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SECRET_BOX, SecretBox } from '../../src/common/secret-box';
import { GenericPlans, WORKER_GENERIC_PLAN_APPLICATION } from '../../src/database/generic-plans';
import { Subnet } from '../../src/inventory/subnet.entity';
import { NegotiationStore } from '../../src/negotiation/negotiation.queries';
import { renderSourceOf, toRenderable } from '../../src/vpn/tunnels/renderable';
import { VpnTunnel } from '../../src/vpn/tunnels/vpn-tunnel.entity';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let db: DataSource;
let plans: GenericPlans;
let pg: Client;
let gatewayId: string;
const tunnels: { id: string; psk: string }[] = [];

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'desired', 7, 2);
  db = api.app.get<DataSource>(getDataSourceToken());
  plans = new GenericPlans(api.databaseUrl, { max: 1, application: WORKER_GENERIC_PLAN_APPLICATION });
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  const t = client(api, w.key);
  gatewayId = (await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201)).id;
  const office = await t.ok(t.post('/api/v1/peer-gateways', { name: 'office', ipAddress: '203.0.113.70' }), 201);
  const roaming = await t.ok(t.post('/api/v1/peer-gateways', { name: 'roaming', ipAddress: '0.0.0.0' }), 201);
  const bodies = [
    tunnelBody(gatewayId, office.id, w, { name: 'defaults', psk: 'Defaults.Key-1' }),
    tunnelBody(gatewayId, office.id, w, {
      name: 'many-subnets',
      psk: 'Many.Subnets-Key2',
      localSubnetIds: [w.subnetIds[2], w.subnetIds[0]],
      remoteCidrs: ['172.16.9.0/24', '192.168.40.0/22'],
      ikePolicy: { version: 'v1', exchangeMode: 'aggressive', dhGroup: 14, remoteId: 'branch.example' },
      ipsecPolicy: { pfsGroup: 'disable', encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256' },
      dpd: { delaySeconds: 3, timeoutSeconds: 10, action: 'hold' },
      ikeFragmentation: false,
      tcpMssClamp: 1300,
    }),
    tunnelBody(gatewayId, roaming.id, w, {
      name: 'response-only',
      psk: 'Response.Only-Key3',
      localSubnetIds: [w.subnetIds[1]],
      remoteCidrs: ['172.17.0.0/16'],
      ikePolicy: { remoteId: 'roaming.example' },
    }),
  ];
  for (const body of bodies) tunnels.push({ id: (await t.ok(t.post('/api/v1/vpn-tunnels', body), 201)).id, psk: body.psk });
  // A row from before DPD was an option (null: the defaults), and a local subnet id that names no subnet (left out).
  await pg.query(`UPDATE vpn_tunnels SET dpd = NULL WHERE id = $1`, [tunnels[0].id]);
  await pg.query(`UPDATE vpn_tunnels SET local_subnet_ids = local_subnet_ids || '{subnet-gone}'::varchar[] WHERE id = $1`, [tunnels[2].id]);
});
afterAll(async () => {
  await plans?.end();
  await pg?.end();
  await api?.close();
});

/** The API's rendering of a stored tunnel: the entity with its gateway's address and its peer. */
async function renderedByApi(id: string, psk: string) {
  const t = await db.getRepository(VpnTunnel).findOneOrFail({ where: { id }, relations: { gateway: { externalIp: true }, peer: true } });
  const subnets = new Map((await db.getRepository(Subnet).find()).map((s) => [s.id, s.cidr]));
  return { tunnel: t, render: toRenderable(renderSourceOf(t), (s) => subnets.get(s), psk) };
}

it('reads every tunnel as the API renders it, through prepared statements and TypeORM alike', async () => {
  const box = api.app.get<SecretBox>(SECRET_BOX);
  const worker = new NegotiationStore(db, box, undefined, plans);
  const plain = new NegotiationStore(db, box);
  for (const { id, psk } of tunnels) {
    const { tunnel, render } = await renderedByApi(id, psk);
    const expected = {
      gatewayId,
      desired: {
        render,
        configVersion: tunnel.configVersion,
        appliedVersion: tunnel.appliedVersion,
        resourceState: tunnel.resourceState,
        storedConnection: tunnel.connectionState,
      },
    };
    expect(await worker.desiredTunnel(id)).toEqual(expected);
    expect(await plain.desiredTunnel(id)).toEqual(expected);
  }
  // What each case is there for shows in the rendering.
  const [defaults, many, responseOnly] = await Promise.all(tunnels.map(({ id }) => worker.desiredTunnel(id)));
  expect(defaults!.desired.render).toMatchObject({ options: { dpd: { delaySeconds: 8, timeoutSeconds: 13, action: 'restart' } } });
  expect(many!.desired.render).toMatchObject({ localCidrs: ['10.7.3.0/24', '10.7.1.0/24'], options: { tcpMssClamp: 1300, ikeFragmentation: false } });
  expect(responseOnly!.desired.render).toMatchObject({ peerIp: '0.0.0.0', localCidrs: ['10.7.2.0/24'] });
  expect(await worker.desiredTunnel('vpntnl-none')).toBeNull();

  // The gateway's tunnels (the reconciler's read): the same, in id order; a subset by id; none.
  const all = await worker.desiredTunnels(gatewayId);
  expect(all.map((d) => d.render.id)).toEqual(tunnels.map((t) => t.id).sort());
  for (const d of all) expect(d).toEqual((await worker.desiredTunnel(d.render.id))!.desired);
  expect((await worker.desiredTunnels(gatewayId, [tunnels[1].id])).map((d) => d.render.id)).toEqual([tunnels[1].id]);
  expect(await worker.desiredTunnels(gatewayId, [])).toEqual([]);

  // The job's read ran on the worker's prepared-statement session, alone (no transaction around it).
  const { rows } = await pg.query(`SELECT state, query FROM pg_stat_activity WHERE application_name = $1`, [WORKER_GENERIC_PLAN_APPLICATION]);
  expect(rows).toHaveLength(1);
  expect(rows[0].state).toBe('idle');
  expect(rows[0].query).toMatch(/FROM vpn_tunnels t[\s\S]*WHERE t\.id = \$1$/);
});
