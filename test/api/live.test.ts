// The console's live-update API: GET /me (who the key is) and GET /changes (a version per topic),
// and each tunnel's stateChangedAt, moved only by real state changes reported by the worker's store.
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'crypto';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../src/common/secret-box';
import { NegotiationStore } from '../../src/negotiation/negotiation-store';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

let api: TestApi;
let w: TenantWorld;
let t: ReturnType<typeof client>;
let store: NegotiationStore;

beforeAll(async () => {
  api = await startTestApi();
  w = await createTenantWorld(api, 'live', 1, 2);
  t = client(api, w.key);
  store = new NegotiationStore(api.app.get<DataSource>(getDataSourceToken()), new SecretBox(randomBytes(32)));
});
afterAll(() => api?.close());

const versions = async (key = w.key) => (await client(api, key).ok(client(api, key).get('/api/v1/changes'))).versions as Record<string, string>;

describe('GET /api/v1/me', () => {
  it('names the role and tenant of a tenant key', async () => {
    expect(await t.ok(t.get('/api/v1/me'))).toMatchObject({ role: 'tenant', tenantId: w.tenantId, tenantName: 'live', keyName: 'test' });
  });

  it('says operator with no tenant for an operator key, and 401 without a key', async () => {
    const admin = client(api, api.adminKey);
    expect(await admin.ok(admin.get('/api/v1/me'))).toMatchObject({ role: 'admin', tenantId: null, tenantName: null });
    expect((await api.http().get('/api/v1/me')).status).toBe(401);
  });
});

describe('GET /api/v1/changes and stateChangedAt', () => {
  let tunnelId: string;
  let version: number;

  it('moves only the topic that changed', async () => {
    const before = await versions();
    expect(Object.keys(before).sort()).toEqual(['alerts', 'gateways', 'peers', 'tunnels']);
    await t.ok(t.post('/api/v1/peer-gateways', { name: 'hq', ipAddress: '203.0.113.10' }), 201);
    const after = await versions();
    expect(after.peers).not.toBe(before.peers);
    expect(after.tunnels).toBe(before.tunnels);
    expect(after.gateways).toBe(before.gateways);
  });

  it('moves the tunnels topic when the worker reports a new state, and stamps stateChangedAt', async () => {
    const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w, 0)), 201);
    const peer = (await t.ok(t.get('/api/v1/peer-gateways'))).items[0];
    const created = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w)), 201);
    tunnelId = created.id;
    version = created.configVersion;
    expect(Date.parse(created.stateChangedAt)).toBeGreaterThan(Date.now() - 60_000);

    const before = await versions();
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.setConnection(tunnelId, version, 'connected', null)).toBe(true);
    expect((await versions()).tunnels).not.toBe(before.tunnels);
    const connected = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(connected.connectionState).toBe('connected');
    expect(Date.parse(connected.stateChangedAt)).toBeGreaterThan(Date.parse(created.stateChangedAt));
    // The list carries it too (the list's "since" column).
    const listed = (await t.ok(t.get('/api/v1/vpn-tunnels'))).items.find((x: { id: string }) => x.id === tunnelId);
    expect(listed.stateChangedAt).toBe(connected.stateChangedAt);
  });

  it('keeps stateChangedAt when the same state is reported again, moves it when the reason changes', async () => {
    const first = (await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`))).stateChangedAt;
    await new Promise((r) => setTimeout(r, 20));
    await store.setConnection(tunnelId, version, 'connected', null);
    expect((await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`))).stateChangedAt).toBe(first);

    await store.setConnection(tunnelId, version, 'phase1_failed', { code: 'peer_unreachable', message: 'no answer' });
    const down = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(Date.parse(down.stateChangedAt)).toBeGreaterThan(Date.parse(first));
    expect(down.failure).toMatchObject({ code: 'peer_unreachable' });
    await new Promise((r) => setTimeout(r, 20));
    await store.setConnection(tunnelId, version, 'phase1_failed', { code: 'psk_mismatch_or_id_mismatch', message: 'auth failed' });
    const other = await t.ok(t.get(`/api/v1/vpn-tunnels/${tunnelId}`));
    expect(Date.parse(other.stateChangedAt)).toBeGreaterThan(Date.parse(down.stateChangedAt));
  });

  it('sorts the list by stateChangedAt (the NOC\'s "what changed last")', async () => {
    const res = await t.get('/api/v1/vpn-tunnels?sort=stateChangedAt&order=desc');
    expect(res.status).toBe(200);
    expect(res.body.items[0].id).toBe(tunnelId);
  });

  it('gives operators their own topics and never a tenant\'s', async () => {
    const v = await versions(api.adminKey);
    expect(Object.keys(v).sort()).toEqual(['gateways', 'hosts', 'tenants']);
    expect(v.gateways.startsWith('1.')).toBe(true);
  });
});
