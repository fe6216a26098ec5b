import { readFileSync } from 'fs';
import { join } from 'path';
import { CliError } from '../errors';
import { parseSite, readSite } from './site-file';
import schema from './site.schema.json';

const ROOT = join(__dirname, '..', '..');
const failure = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error('expected a CliError');
};

it('reads examples/site.yaml, the PSK from the environment', () => {
  const site = readSite(join(ROOT, 'examples', 'site.yaml'), { HQ_PSK: 'Demo.Key-2024' });
  expect(site.peers).toEqual([{ name: 'hq', ipAddress: '203.0.113.10', remark: 'head office' }]);
  expect(site.gateways[0]).toMatchObject({ name: 'gw-1', vpc: 'demo-vpc-a', externalIp: 'auto' });
  expect(site.tunnels[0]).toMatchObject({ name: 'to-hq', psk: 'Demo.Key-2024', ipsecPolicy: { pfsGroup: 2 } });
});

it('names every field that breaks the schema, with the rule', () => {
  const text = `apiVersion: vpnctl/v1
tunnels:
  - name: t
    gateway: g
    peer: p
    localSubnets: []
    remoteCidrs: [172.16.1.0/24]
    psk: x
    ipsecPolicy: { pfsGroup: 3, colour: red }
`;
  const e = failure(() => parseSite(text, 'site.yaml', {}));
  expect(e.details).toEqual(
    expect.arrayContaining([
      'tunnels[0].localSubnets: must NOT have fewer than 1 items [rule: minItems]',
      'tunnels[0].ipsecPolicy.pfsGroup: must be equal to one of the allowed values: 1, 2, 5, 14, 24, 19, 20, 21, 31, disable [rule: enum]',
      'tunnels[0].ipsecPolicy: must NOT have additional properties: colour [rule: additionalProperties]',
    ]),
  );
});

it('refuses a name given twice, an unset variable and a file that is not YAML', () => {
  const twice = 'apiVersion: vpnctl/v1\npeers:\n  - { name: a, ipAddress: 203.0.113.1 }\n  - { name: a, ipAddress: 203.0.113.2 }\n';
  expect(failure(() => parseSite(twice, 'f', {})).message).toBe('peers[1].name: a is named twice (names are the identity) [rule: unique]');
  const unset = 'apiVersion: vpnctl/v1\npeers:\n  - { name: a, ipAddress: "${PEER_IP}" }\n';
  expect(failure(() => parseSite(unset, 'f', {})).message).toBe('peers[0].ipAddress: environment variable PEER_IP is not set');
  expect(failure(() => parseSite('a: [', 'f', {})).message).toMatch(/^f is not valid YAML/);
});

it("the schema's policy enums are the API's (docs/openapi.json)", () => {
  const api = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')).components.schemas;
  const tunnel = schema.properties.tunnels.items.properties;
  const enums = (props: Record<string, { enum?: unknown[]; oneOf?: { enum: unknown[] }[] }>) =>
    Object.fromEntries(
      Object.entries(props)
        .filter(([, p]) => p.enum || p.oneOf)
        .map(([k, p]) => [k, p.enum ?? p.oneOf!.flatMap((o) => o.enum)]),
    );
  expect(enums(tunnel.ikePolicy.properties as never)).toEqual(enums(api.IkePolicyDto.properties));
  expect(enums(tunnel.ipsecPolicy.properties as never)).toEqual(enums(api.IpsecPolicyDto.properties));
  expect(Object.keys(tunnel.ikePolicy.properties).sort()).toEqual(Object.keys(api.IkePolicyDto.properties).sort());
  expect(Object.keys(tunnel.ipsecPolicy.properties).sort()).toEqual(Object.keys(api.IpsecPolicyDto.properties).sort());
  // Issue 16's tunnel options: the same fields and DPD actions as the create body.
  expect(enums((tunnel as any).dpd.properties)).toEqual(enums(api.DpdOptionsDto.properties));
  expect(Object.keys((tunnel as any).dpd.properties).sort()).toEqual(Object.keys(api.DpdOptionsDto.properties).sort());
  for (const option of ['dpd', 'ikeFragmentation', 'tcpMssClamp']) expect(Object.keys(api.CreateTunnelDto.properties)).toContain(option);
});

it('tunnel options (issue 16): dpd, ikeFragmentation and tcpMssClamp are read; out-of-range values name the field and the rule', () => {
  const base = 'apiVersion: vpnctl/v1\ntunnels:\n  - { name: t, gateway: g, peer: p, localSubnets: [s], remoteCidrs: [172.16.0.0/24], psk: k,';
  const site = parseSite(`${base} dpd: { delaySeconds: 3, timeoutSeconds: 10, action: hold }, ikeFragmentation: false, tcpMssClamp: null }\n`, 'f', {});
  expect(site.tunnels[0]).toMatchObject({ dpd: { delaySeconds: 3, timeoutSeconds: 10, action: 'hold' }, ikeFragmentation: false, tcpMssClamp: null });
  const bad = failure(() => parseSite(`${base} dpd: { action: none }, tcpMssClamp: 9000 }\n`, 'f', {})).details;
  expect(bad).toEqual(
    expect.arrayContaining([
      'tunnels[0].dpd.action: must be equal to one of the allowed values: clear, hold, restart [rule: enum]',
      'tunnels[0].tcpMssClamp: must be <= 1460 [rule: maximum]',
    ]),
  );
});
