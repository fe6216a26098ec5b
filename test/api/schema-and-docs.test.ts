// Migrations and entities agree; the committed OpenAPI document is current; /healthz works.
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { DataSource } from 'typeorm';
import { openApiDocument } from '../../src/api-app';
import { pendingSchemaSql } from '../../src/cli/generate-migration';
import { startTestApi, TestApi } from '../support/api';
import { createEmptyDatabase } from '../support/database';

const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

it('running every migration yields the schema the entities describe (nothing left to generate)', async () => {
  const db = await createEmptyDatabase();
  try {
    const pending = await pendingSchemaSql(db.url);
    expect(pending.up).toEqual([]);
  } finally {
    await db.drop();
  }
});

describe('with the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('docs/openapi.json matches the running API (regenerate: UPDATE_OPENAPI=1 npm run test:api -- openapi)', () => {
    const current = JSON.stringify(openApiDocument(api.app), null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(OPENAPI_FILE, current);
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(current);
  });

  it('types every property (no bare `object`), mixes no types in an enum and names operations with unique camelCase verbs', () => {
    const doc = openApiDocument(api.app);
    const problems: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`));
      if (!node || typeof node !== 'object') return;
      const s = node as Record<string, unknown>;
      if (s.type === 'object' && !s.properties && !s.additionalProperties && !s.allOf) problems.push(`bare object at ${path}`);
      if (Array.isArray(s.enum) && typeof s.type === 'string' && s.enum.some((v) => typeof v !== (s.type === 'string' ? 'string' : 'number')))
        problems.push(`mixed enum at ${path}`);
      for (const [k, v] of Object.entries(s)) walk(v, `${path}/${k}`);
    };
    walk(doc, '#');
    expect(problems).toEqual([]);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => (op as { operationId: string }).operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !/^[a-z]+[A-Z][A-Za-z]*$/.test(id))).toEqual([]);
    expect(ids).toEqual(
      expect.arrayContaining(['listVpnTunnels', 'createVpnTunnel', 'getVpnTunnel', 'deleteVpnTunnel', 'listPeerGateways', 'createVpnGateway']),
    );
  });

  it('serves the OpenAPI document and Swagger UI without a key', async () => {
    const doc = await api.http().get('/api/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/vpn-gateways', '/api/v1/peer-gateways', '/api/v1/vpn-tunnels', '/api/v1/vpn-tunnels/{id}/ike-policy']),
    );
    expect(doc.body.components.schemas.ErrorBodyDto.properties).toHaveProperty('violations');
    const ui = await api.http().get('/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('/healthz reports database and Redis', async () => {
    const res = await api.http().get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up', redis: 'up' });
  });

  it('/livez answers without a key; /readyz adds that the schema is at head', async () => {
    const live = await api.http().get('/livez');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await api.http().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', database: 'up', redis: 'up', migrations: 'up' });
  });
});

it('/readyz answers 503 when a migration this build knows is not applied (an older schema)', async () => {
  const api = await startTestApi();
  try {
    const db = api.app.get(DataSource);
    await db.query('DELETE FROM migrations WHERE id = (SELECT max(id) FROM migrations)');
    const res = await api.http().get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded', database: 'up', redis: 'up', migrations: 'down' });
    expect((await api.http().get('/livez')).status).toBe(200);
  } finally {
    await api.close();
  }
});

it('/healthz answers 503 naming Redis when Redis is unreachable', async () => {
  const api = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1/0' });
  try {
    const res = await api.http().get('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded', database: 'up', redis: 'down' });
  } finally {
    await api.close();
  }
});
