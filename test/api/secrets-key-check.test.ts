// A process started with another SECRETS_KEY than the one the stored pre-shared keys were sealed
// with refuses to start (main.ts, worker.ts), instead of failing every stored tunnel later.
import { randomBytes } from 'crypto';
import { assertSecretsKeyOpensStoredKeys, SecretsKeyMismatch } from '../../src/database/secrets-key-check';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, tunnelBody } from '../support/fixtures';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

it('passes on a database without tunnels, whatever the key', async () => {
  await expect(assertSecretsKeyOpensStoredKeys(api.databaseUrl, randomBytes(32))).resolves.toBeUndefined();
});

it('passes with the key the stored keys were sealed with and refuses another, naming the tunnel', async () => {
  const w = await createTenantWorld(api, 'keyed');
  const t = client(api, w.key);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'p', ipAddress: '203.0.113.5' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w)), 201);

  await expect(assertSecretsKeyOpensStoredKeys(api.databaseUrl, api.config.secretsKey)).resolves.toBeUndefined();
  const refused = assertSecretsKeyOpensStoredKeys(api.databaseUrl, randomBytes(32));
  await expect(refused).rejects.toBeInstanceOf(SecretsKeyMismatch);
  await expect(refused).rejects.toThrow(new RegExp(`SECRETS_KEY does not open .*tunnel ${tunnel.id}.*\\.run/secrets\\.env`));
});
