// API fuzz test: every operation of docs/openapi.json, every path/query parameter and every body
// field (top level and one level down) replaced by a hostile value, >= 10,000 requests from a fixed
// seed. No answer may be a 5xx; a 400 must name the mutated field (unless the unmutated request was
// refused for the same fields already); no body may carry a secret.
import * as fc from 'fast-check';
import { readFileSync } from 'fs';
import { join } from 'path';
import { startTestApi, TestApi } from '../support/api';
import { client, createTenantWorld, gatewayBody, TenantWorld, tunnelBody } from '../support/fixtures';

const SEED = 20261204;
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_500);
const CONCURRENCY = 6;
const CANARY = 'canary-Secret-0123456789abcdef';
const FIXTURE_PSK = 'Sup3r.Secret-Key';
const FIXTURE_WEBHOOK_SECRET = 'fixture-webhook-secret-0123456789';
// The two operations whose purpose is to hand the caller its own PSK back.
const REVEALS_PSK = new Set(['GET /api/v1/vpn-tunnels/{id}', 'GET /api/v1/vpn-tunnels/{id}/config']);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  required?: string[];
};
type Op = { method: string; path: string; params: { name: string; in: 'path' | 'query' }[]; body: Schema | null };
type Target = { where: 'path' | 'query' | 'body'; field: string };

const doc = JSON.parse(readFileSync(join(__dirname, '../../docs/openapi.json'), 'utf8'));
const deref = (s: Schema): Schema => (s.$ref ? deref(doc.components.schemas[s.$ref.split('/').pop()!]) : s);

const operations: Op[] = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, o]) => ({
    method: method.toUpperCase(),
    path,
    params: (o.parameters ?? []).filter((p: any) => p.in === 'path' || p.in === 'query').map((p: any) => ({ name: p.name, in: p.in })),
    body: o.requestBody?.content?.['application/json']?.schema ? deref(o.requestBody.content['application/json'].schema) : null,
  })),
);

// ---- hostile values -------------------------------------------------------------------------
// Deep nesting is spliced into the JSON text: JSON.stringify itself would overflow the test's stack.
const deep = (n: number) => `@@deep${n}@@`;
const spliceDeep = (json: string) => json.replace(/"@@deep(\d+)@@"/g, (_m, n) => '['.repeat(Number(n)) + ']'.repeat(Number(n)));
const ODD_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x'.repeat(5000),
  '1e21',
  '9223372036854775808',
  '-9223372036854775809',
  '-1',
  '1.5',
  'NaN',
  'Infinity',
  '0x10',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'prototype',
  '2009-W53-7',
  '2009-123',
  '2021-02-30T00:00:00Z',
  '0000-00-00',
  '9999-12-31T23:59:60Z',
  '+275760-09-13T00:00:00Z',
  '2025-13-01',
  '1970-01-01T00:00:00+25:00',
  "' OR 1=1 --",
  '"; DROP TABLE vpn_tunnels; --',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '../../../etc/passwd',
  '%00',
  '%',
  '_',
  '\\',
  '0.0.0.0/0',
  '255.255.255.255',
  '127.0.0.1',
  '169.254.169.254',
  '10.0.0.0/33',
  '::1',
  '999.1.1.1',
  'http://169.254.169.254/latest/meta-data/',
  '😀'.repeat(100),
  '\u202e',
  'tunnel_health',
  'v1',
  'monthly',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
];
const ODD_NUMBERS = [0, -1, 1, 1.5, -0.5, 1e21, 2 ** 63, -(2 ** 63), 2 ** 31, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324];
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...ODD_STRINGS),
  fc.constantFrom<unknown>(...ODD_NUMBERS),
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    [],
    {},
    [null],
    [1, 'a'],
    { a: 1 },
    ['x'.repeat(300)],
    Array.from({ length: 3000 }, (_, i) => `id-${i}`),
  ),
  fc.constantFrom<unknown>(
    JSON.parse('{"__proto__": {"polluted": true}}'),
    { constructor: { prototype: { polluted: true } } },
    { toString: 1, valueOf: 'x' },
    { type: 'webhook', url: 'http://127.0.0.1:1/', secret: CANARY, psk: CANARY },
    [{ type: 'webhook', url: 'http://x', secret: CANARY }],
    [{ metric: 'toString', comparator: '__proto__', threshold: 1e21, periods: null }],
  ),
  fc.constantFrom<unknown>(deep(50), deep(5000)),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
);
// Every field gets each of these (JSON body value, query/path text): the root causes seen so far.
const SWEEP: { json: unknown; text: unknown }[] = [
  { json: null, text: 'a\u0000b' },
  { json: 'a\u0000b', text: '\u0000' },
  { json: deep(5000), text: '1e21' },
  { json: 1e21, text: '9223372036854775808' },
  { json: 'toString', text: 'toString' },
  { json: '2009-W53-7', text: '2009-W53-7' },
  { json: '2009-123', text: '2009-123' },
  { json: { type: 'webhook', url: 'http://127.0.0.1:1/', secret: CANARY, psk: CANARY }, text: '__proto__' },
  { json: 'x'.repeat(5000), text: 'x'.repeat(5000) },
  { json: Array.from({ length: 3000 }, (_, i) => `id-${i}`), text: ['1', '2'] },
];
// Query and path values are strings (or repeated keys).
const textValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...ODD_STRINGS),
  fc.constantFrom<unknown>(...ODD_NUMBERS.map(String)),
  fc.string({ maxLength: 40 }),
  fc.constant(['1', '2']),
);

// ---- the world the requests act on ----------------------------------------------------------
let api: TestApi;
let w: TenantWorld;
let ids: Record<string, string>;
let agentToken = '';

function baselineValue(name: string, s: Schema): unknown {
  if (ids[name] !== undefined) return ids[name];
  s = deref(s);
  if (s.enum) return s.enum[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.type === 'array') return [baselineValue(name.replace(/Ids$/, 'Id'), s.items ?? {})];
  if (s.type === 'object' || s.properties) return baselineBody(s);
  if (s.type === 'number' || s.type === 'integer') return s.minimum ?? 1;
  if (s.type === 'boolean') return false;
  return `fuzz-${name}`;
}

function baselineBody(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(deref(s).properties ?? {})) if (k !== 'id') out[k] = baselineValue(k, v);
  return out;
}

/** Bodies the schema alone cannot make valid. */
function knownBody(op: Op): Record<string, unknown> | null {
  const key = `${op.method} ${op.path}`;
  if (key === 'POST /api/v1/vpn-tunnels')
    return tunnelBody(ids.gatewayId, ids.peerId, w, { remoteCidrs: ['172.31.9.0/24'], ikePolicy: { remoteId: 'fuzz.example.com' } });
  if (key === 'POST /api/v1/vpn-gateways') return gatewayBody(w, 2);
  if (key.endsWith('batch-delete')) return { ids: ['absent-k3j9x2ab'] };
  if (key === 'POST /api/v1/alert-templates')
    return { name: 'fuzz', rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }], channels: [{ type: 'console' }] };
  if (key === 'PUT /api/v1/prices') return { items: [{ machineTypeId: w.machineTypeId, chargeType: 'monthly', unitPrice: 20_000 }] };
  if (key === 'POST /api/v1/vpn-gateways/{id}/renew') return { period: 1 };
  if (key === 'PUT /api/v1/vpn-tunnels/{id}/subnets') return { localSubnetIds: [w.subnetIds[0]], remoteCidrs: ['172.16.1.0/24'] };
  if (key === 'PUT /api/v1/vpn-tunnels/{id}/ike-policy') return { version: 'v2', dhGroup: 14 };
  if (key === 'PUT /api/v1/vpn-tunnels/{id}/ipsec-policy') return { pfsGroup: 14 };
  if (key === 'POST /api/v1/agent/report') return { appliedVersion: '1', agentVersion: '1.0.0', error: null };
  if (key === 'PATCH /api/v1/alert-templates/{id}') {
    return {
      description: 'fuzzed',
      rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
      channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: FIXTURE_WEBHOOK_SECRET }],
    };
  }
  if (key === 'POST /api/v1/vpn-gateways/quote') return { machineTypeId: w.machineTypeId, chargeType: 'monthly', period: 1 };
  return null;
}

/** A valid id for each path parameter (deletes get absent ids: the fixtures must survive). */
function pathValue(op: Op, name: string): string {
  // The instance's agent token is what the /agent/* operations authenticate with: never rotate or revoke it.
  if (op.path === '/api/v1/instances/{id}/agent-token') return 'absent-k3j9x2ab';
  if (op.method === 'DELETE' && !op.path.endsWith('-token'))
    return name === 'keyId' ? 'key-absent00' : op.path.includes('/tenants/') ? ids.tenantId : 'absent-k3j9x2ab';
  if (name === 'keyId') return ids.keyId;
  const resource = /\/api\/v1\/([a-z-]+)\/\{id\}/.exec(op.path)?.[1] ?? '';
  return (
    (
      {
        tenants: ids.tenantId,
        vpcs: ids.vpcId,
        instances: ids.instanceId,
        'vpn-gateways': ids.gatewayId,
        'peer-gateways': ids.peerId,
        'vpn-tunnels': ids.tunnelId,
        'alert-templates': ids.templateId,
        alerts: 'absent-k3j9x2ab',
        notifications: 'absent-k3j9x2ab',
        orders: ids.orderId,
      } as Record<string, string>
    )[resource] ?? 'absent-k3j9x2ab'
  );
}

function fieldsOf(op: Op, body: Record<string, unknown> | null): Target[] {
  const out: Target[] = op.params.map((p) => ({ where: p.in, field: p.name }));
  const props = { ...(op.body ? deref(op.body).properties : {}), ...Object.fromEntries(Object.keys(body ?? {}).map((k) => [k, {}])) };
  for (const [k, s] of Object.entries(props ?? {})) {
    out.push({ where: 'body', field: k });
    const inner = deref(s as Schema);
    const nested = inner.type === 'array' && inner.items ? deref(inner.items).properties : inner.properties;
    for (const n of Object.keys(nested ?? {})) out.push({ where: 'body', field: inner.type === 'array' ? `${k}.0.${n}` : `${k}.${n}` });
  }
  // Prototype keys as unknown fields, in the body and the query.
  if (op.body) for (const k of ['__proto__', 'constructor', 'toString']) out.push({ where: 'body', field: k });
  out.push({ where: 'query', field: 'constructor' });
  return out;
}

function setPath(obj: Record<string, any>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let at: any = obj;
  for (const p of parts.slice(0, -1)) {
    if (at[p] === undefined || at[p] === null || typeof at[p] !== 'object') at[p] = /^\d+$/.test(parts[parts.indexOf(p) + 1] ?? '') ? [{}] : {};
    at = at[p];
  }
  Object.defineProperty(at, parts[parts.length - 1], { value, enumerable: true, writable: true, configurable: true });
}

interface Prepared {
  op: Op;
  key: string;
  pathIds: Record<string, string>;
  body: Record<string, unknown> | null;
  fields: Target[];
  baselineFields: Set<string>;
}

async function send(p: Prepared, mutate?: { target: Target; value: unknown }) {
  const params = { ...p.pathIds };
  const query: Record<string, unknown> = {};
  const body = p.body ? structuredClone(p.body) : null;
  if (mutate?.target.where === 'path') params[mutate.target.field] = String(mutate.value);
  if (mutate?.target.where === 'query') query[mutate.target.field] = mutate.value;
  if (mutate?.target.where === 'body') setPath(body ?? {}, mutate.target.field, mutate.value);
  const url = p.op.path.replace(/\{(\w+)\}/g, (_m, n) => encodeURIComponent(params[n]));
  const qs = Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`))
    .join('&');
  let req = (api.http() as any)[p.op.method.toLowerCase()](qs ? `${url}?${qs}` : url).set('Authorization', `Bearer ${p.key}`);
  if (body) req = req.set('Content-Type', 'application/json').send(spliceDeep(JSON.stringify(body)));
  return req;
}

const names = (violations: unknown) => (Array.isArray(violations) ? violations.map((v: any) => String(v?.field)) : []);
const covers = (named: string, field: string) =>
  named === field || named.startsWith(`${field}.`) || named.startsWith(`${field}[`) || field.startsWith(`${named}.`);

beforeAll(async () => {
  api = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  w = await createTenantWorld(api, 'fuzz', 1, 5);
  const t = client(api, w.key);
  const admin = client(api, api.adminKey);
  const gw = await t.ok(t.post('/api/v1/vpn-gateways', gatewayBody(w)), 201);
  const peer = await t.ok(t.post('/api/v1/peer-gateways', { name: 'peer', ipAddress: '203.0.113.10' }), 201);
  const tunnel = await t.ok(t.post('/api/v1/vpn-tunnels', tunnelBody(gw.id, peer.id, w, { psk: FIXTURE_PSK })), 201);
  const template = await t.ok(
    t.post('/api/v1/alert-templates', {
      name: 'hooks',
      rules: [{ metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 }],
      channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: FIXTURE_WEBHOOK_SECRET }],
    }),
    201,
  );
  const instance = await admin.ok(admin.post('/api/v1/instances', { subnetId: w.subnetIds[0], name: 'vm', privateIp: '10.1.1.10' }), 201);
  agentToken = (await admin.ok(admin.post(`/api/v1/instances/${instance.id}/agent-token`), 201)).token;
  const keys = await admin.ok(admin.get(`/api/v1/tenants/${w.tenantId}/api-keys`));
  const orders = await t.ok(t.get('/api/v1/orders'));
  ids = {
    tenantId: w.tenantId,
    dataCenterId: w.dataCenterId,
    machineTypeId: w.machineTypeId,
    vpcId: w.vpcId,
    subnetId: w.subnetIds[0],
    externalIpId: w.externalIpIds[3],
    gatewayId: gw.id,
    peerId: peer.id,
    tunnelId: tunnel.id,
    templateId: template.id,
    instanceId: instance.id,
    keyId: keys.items?.[0]?.id ?? keys[0]?.id,
    orderId: orders.items[0].id,
    resourceId: tunnel.id,
    alertId: 'absent-k3j9x2ab',
    alertTemplateId: template.id,
  };
});
afterAll(() => api?.close());

it(`${REQUESTS} hostile requests over every operation: no 5xx, 400s name the field, no secret echoed`, async () => {
  // Each operation's unmutated request, with the key that may call it.
  const prepared: Prepared[] = [];
  for (const op of operations) {
    const pathIds = Object.fromEntries(op.params.filter((p) => p.in === 'path').map((p) => [p.name, pathValue(op, p.name)]));
    const body = op.body ? (knownBody(op) ?? baselineBody(op.body)) : null;
    const p: Prepared = {
      op,
      key: op.path.startsWith('/api/v1/agent/') ? agentToken : w.key,
      pathIds,
      body,
      fields: fieldsOf(op, body),
      baselineFields: new Set(),
    };
    let res = await send(p);
    if (res.status === 403) res = await send(((p.key = api.adminKey), p));
    expect(res.status).toBeLessThan(500);
    if (res.status === 400) p.baselineFields = new Set(names(res.body.violations));
    prepared.push(p);
  }
  expect(prepared.length).toBe(operations.length);

  // The cases: first every (operation, field) with each of the values that broke the API before,
  // then random (operation, field, value) triples from a fixed seed up to REQUESTS in all.
  type Case = { i: number; target: Target; json: unknown; text: unknown };
  const cases: Case[] = prepared.flatMap((p, i) => p.fields.flatMap((target) => SWEEP.map((v) => ({ i, target, json: v.json, text: v.text }))));
  cases.push(
    ...fc.sample(
      fc.integer({ min: 0, max: prepared.length - 1 }).chain((i) =>
        fc.record({
          i: fc.constant(i),
          target: fc.constantFrom(...prepared[i].fields),
          json: jsonValue,
          text: textValue,
        }),
      ),
      { seed: SEED, numRuns: Math.max(0, REQUESTS - cases.length) },
    ),
  );

  const failures: string[] = [];
  let fiveHundreds = 0;
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const p = prepared[c.i];
      const value = c.target.where === 'body' ? c.json : c.text;
      const res = await send(p, { target: c.target, value });
      const what = `${p.op.method} ${p.op.path} ${c.target.where}:${c.target.field}=${JSON.stringify(value)?.slice(0, 80)}`;
      const text = res.text ?? '';
      if (res.status >= 500) {
        fiveHundreds++;
        failures.push(`${what} -> ${res.status} ${text.slice(0, 200)}`);
      } else if (res.status === 400) {
        const named = names(res.body?.violations);
        const explained = named.length > 0 && (named.some((n) => covers(n, c.target.field)) || named.every((n) => p.baselineFields.has(n)));
        if (!explained) failures.push(`${what} -> 400 naming [${named.join(', ')}], not ${c.target.field}`);
      }
      const secrets = REVEALS_PSK.has(`${p.op.method} ${p.op.path}`) ? [CANARY, FIXTURE_WEBHOOK_SECRET] : [CANARY, FIXTURE_PSK, FIXTURE_WEBHOOK_SECRET];
      for (const s of secrets) if (text.includes(s)) failures.push(`${what} -> ${res.status} echoes a secret`);
      if (text.length > 64 * 1024 && res.status >= 400) failures.push(`${what} -> ${res.status} error body of ${text.length} bytes`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures.length) {
    const distinct = [...new Set(failures)];
    throw new Error(
      `${failures.length} of ${cases.length} requests failed (${fiveHundreds} answered 5xx); first ${Math.min(60, distinct.length)}:\n${distinct.slice(0, 60).join('\n')}`,
    );
  }
  expect(cases.length).toBeGreaterThanOrEqual(10_000);
}, 600_000);
