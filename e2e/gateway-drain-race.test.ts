// A drain's take-over racing the draining host's own reconcile (the HA core, host-supervisor.ts):
// host A reads that it owns a gateway, then host B claims it and takes it over, then A's sync
// reaches the network driver. Forced deterministically: two in-process supervisors on a real
// PostgreSQL (the test API's database), real charons, and the lab network driver on an internet
// bridge and a subnet bridge in namespaces this test creates and removes. B's claim and take-over
// (its real drain path) run inside A's sync, between A's owner read and A's attach.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { rmSync } from 'fs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LabNames } from '../lab/lab-names';
import { LabNetworkDriver } from '../lab/lab-network-driver';
import { SecretBox } from '../src/common/secret-box';
import { renewLeaseOn } from '../src/hosts/host-lease.queries';
import { HostSupervisor } from '../src/negotiation/host-supervisor';
import { HostLogger } from '../src/negotiation/host/charon-process';
import { run } from '../src/negotiation/host/exec';
import { GatewayHostRuntime } from '../src/negotiation/host/gateway-host';
import { gatewayNamespace, hostTag } from '../src/negotiation/host/gateway-names';
import { ensureNamespace, namespaceExists } from '../src/negotiation/host/gateway-namespace';
import { getLink } from '../src/negotiation/host/ip-link';
import { NegotiationStore } from '../src/negotiation/negotiation.queries';
import { startTestApi, TestApi } from '../test/support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld } from '../test/support/fixtures';
import { forceCleanupPrefix, tempDir, waitFor } from './support/lab-fixtures';

jest.setTimeout(60_000);

const prefix = `dr${randomBytes(3).toString('hex').slice(0, 5)}`;
const names = new LabNames(prefix);
const sfx = randomBytes(2).toString('hex');
const [A, B] = [`dra${sfx.slice(0, 3)}`, `drb${sfx.slice(0, 3)}`]; // short: their tags go into port names
const quiet: HostLogger = { log: () => undefined, warn: () => undefined, error: (m) => console.error(m) };
const lines: string[] = [];
const dirs: string[] = [];

let api: TestApi;
let w: TenantWorld;
let pg: Client;
let gatewayId: string;
let vpcNs: string;
let subnetBridge: string;

interface Host {
  id: string;
  runtime: GatewayHostRuntime;
  store: NegotiationStore;
  supervisor: HostSupervisor;
}
const hosts: Host[] = [];
/** Hosts whose lease the test has let lapse. */
const lapsed = new Set<string>();

function startHost(id: string, db: DataSource): Host {
  const baseDir = tempDir(`drain-race-${id}`);
  dirs.push(baseDir);
  const tag = hostTag(id);
  const runtime = new GatewayHostRuntime({ network: new LabNetworkDriver({ prefix, hostTag: tag }), baseDir, hostTag: tag, logger: quiet });
  const store = new NegotiationStore(db, new SecretBox(randomBytes(32)));
  const supervisor = new HostSupervisor({
    hostId: id,
    capacity: 5,
    db,
    store,
    runtime,
    timings: { triesBeforeFailed: 3, quickRetryMs: 1000, failedRetryMs: 12_000 },
    initiateTimeoutMs: 5000,
    reconcileConcurrency: 1,
    leaseValid: () => !lapsed.has(id),
    log: (m) => lines.push(`${id}: ${m}`),
  });
  const h = { id, runtime, store, supervisor };
  hosts.push(h);
  return h;
}

/** This host's port of the gateway on a bridge namespace: its ifindex and whether it is plugged (in the bridge and up). */
async function port(h: Host, ns: string, bridge: string): Promise<{ ifindex: number; plugged: boolean } | null> {
  const l = await getLink(ns, names.gatewayPort(gatewayId, hostTag(h.id)));
  return l ? { ifindex: l.ifindex, plugged: l.master === bridge && !!l.flags?.includes('UP') } : null;
}
const legs = async (h: Host) => ({ inet: await port(h, names.inetNamespace, names.inetBridge), vpc: await port(h, vpcNs, subnetBridge) });

beforeAll(async () => {
  api = await startTestApi();
  pg = new Client({ connectionString: api.databaseUrl });
  await pg.connect();
  const renew = (hostId: string) => renewLeaseOn(pg, { hostId, hostname: hostId, capacity: 5, ttlMs: 600_000 });
  await renew(A); // the gateway is placed on A, the only live host
  w = await createTenantWorld(api, 'drain-race', 1, 1);
  gatewayId = (await client(api, w.key).ok(client(api, w.key).post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201)).id;
  await renew(B);
  // The lab's bridges the driver plugs into (its internet and the gateway's subnet), nothing else.
  vpcNs = names.vpcNamespace(w.vpcId);
  subnetBridge = names.subnetBridge(w.subnetIds[0]);
  for (const [ns, bridge] of [
    [names.inetNamespace, names.inetBridge],
    [vpcNs, subnetBridge],
  ]) {
    await ensureNamespace(ns);
    await run('ip', ['-n', ns, 'link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['-n', ns, 'link', 'set', bridge, 'up']);
  }
}, 120_000);

afterAll(async () => {
  try {
    for (const h of hosts) await h.supervisor.shutdown().catch((e) => console.error(e));
    for (const h of hosts) await h.runtime.removeGateway(gatewayId).catch((e) => console.error(e));
    await pg?.end();
    await api?.close();
  } finally {
    await forceCleanupPrefix(prefix);
    for (const h of hosts) {
      const ns = gatewayNamespace(gatewayId, hostTag(h.id));
      if (namespaceExists(ns)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}, 60_000);

it("a drain's take-over that lands between the draining host's owner read and its attach is not undone by that sync", async () => {
  const a = startHost(A, api.app.get<DataSource>(getDataSourceToken()));
  const b = startHost(B, api.app.get<DataSource>(getDataSourceToken()));
  await a.supervisor.syncGateway(gatewayId); // A's first sync: it takes the gateway's addresses
  expect(await legs(a)).toEqual({ inet: expect.objectContaining({ plugged: true }), vpc: expect.objectContaining({ plugged: true }) });
  await a.supervisor.syncGateway(gatewayId); // a later, ordinary reconcile changes nothing
  expect(await legs(a)).toEqual({ inet: expect.objectContaining({ plugged: true }), vpc: expect.objectContaining({ plugged: true }) });

  await client(api, api.adminKey).ok(client(api, api.adminKey).post(`/api/v1/gateway-hosts/${A}/drain`), 200);
  // A's next reconcile of the gateway: B's drain move (prepare, claim, take-over) runs after A has
  // read that the gateway is its own, before A's sync reaches the driver.
  let taken: Awaited<ReturnType<typeof legs>> | null = null;
  const placement = a.store.placement.bind(a.store);
  a.store.placement = async (g) => {
    a.store.placement = placement;
    expect(g.hostId).toBe(A);
    await (b.supervisor as unknown as { takeDrained(): Promise<void> }).takeDrained();
    taken = await legs(b);
    return placement(g);
  };
  await a.supervisor.syncGateway(gatewayId);

  // B's take-over happened inside A's sync: B's legs plugged, the gateway B's in PostgreSQL.
  expect(taken).toEqual({ inet: expect.objectContaining({ plugged: true }), vpc: expect.objectContaining({ plugged: true }) });
  expect((await pg.query('SELECT host_id FROM vpn_gateways WHERE id = $1', [gatewayId])).rows[0].host_id).toBe(B);
  // A's stale sync left them as they were (the same ports, never deleted: the gateway was never
  // without a plugged copy) and did not plug its own copy beside them.
  expect(await legs(b)).toEqual(taken);
  const mine = await legs(a);
  expect([mine.inet?.plugged ?? false, mine.vpc?.plugged ?? false]).toEqual([false, false]);

  // A's lease tick finds the gateway moved away and removes its copy; B serves on, and its own
  // later syncs (repairs) leave its plugged copy as it is.
  await a.supervisor.dropMovedAway();
  await waitFor("A's copy to go", async () => !namespaceExists(gatewayNamespace(gatewayId, hostTag(A))));
  await b.supervisor.syncGateway(gatewayId);
  expect(await legs(b)).toEqual(taken);
  expect(await legs(a)).toEqual({ inet: null, vpc: null });
  expect(lines.filter((l) => l.startsWith(`${B}: `) && l.includes('taken over from'))).toEqual([expect.stringContaining('prepared in')]);
});

it("a fence that lands while the owner's sync is between its lease check and the driver is not undone by that sync", async () => {
  // Continues from the drain above: B serves the gateway (its copy plugged, a negotiator held).
  const b = hosts.find((h) => h.id === B)!;
  expect(await legs(b)).toEqual({ inet: expect.objectContaining({ plugged: true }), vpc: expect.objectContaining({ plugged: true }) });
  // B's next reconcile of the gateway: after its lease check, B's lease lapses and B fences
  // itself (unplugs every copy, stops the charons, drops the negotiators), as its worker does.
  const placement = b.store.placement.bind(b.store);
  b.store.placement = async (g) => {
    b.store.placement = placement;
    lapsed.add(B);
    await b.supervisor.fenceAll();
    return placement(g);
  };
  await expect(b.supervisor.syncGateway(gatewayId)).rejects.toThrow(/lease lapsed or the gateway left it during the sync/);

  // The sync went on to the driver (a repair plugs an unplugged copy back) but unplugged it again
  // and registered nothing: a fenced host serves nothing. The gateway is not in error for it.
  const after = await legs(b);
  expect([after.inet?.plugged ?? false, after.vpc?.plugged ?? false]).toEqual([false, false]);
  expect(b.runtime.isCharonRunning(gatewayId)).toBe(false);
  expect(b.supervisor.runningNegotiators()).toEqual([]);
  expect((await pg.query('SELECT resource_state FROM vpn_gateways WHERE id = $1', [gatewayId])).rows[0].resource_state).toBe('running');

  // Renewed, B's next sync serves the gateway again (its first sync at the epoch: a take-over).
  lapsed.delete(B);
  await b.supervisor.syncGateway(gatewayId);
  expect(await legs(b)).toEqual({ inet: expect.objectContaining({ plugged: true }), vpc: expect.objectContaining({ plugged: true }) });
  expect(b.supervisor.runningNegotiators()).toHaveLength(1);
});
