// The console's tables come from the server's modules (shared.ts): these checks fail if the two
// sides could drift again. The type-level half is GENERATED_CLIENT_AGREES in shared.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weakChoices, type IkePolicy, type IpsecPolicy } from '../../src/policy/policy';
import {
  DH_GROUPS,
  DPD_ACTIONS,
  DPD_DELAY_RANGE,
  DPD_TIMEOUT_RANGE,
  ENCRYPTION_ALGORITHMS,
  IKE_AUTH_ALGORITHMS,
  IKE_EXCHANGE_MODES,
  IKE_VERSIONS,
  INITIATOR_MODES,
  IPSEC_AUTH_ALGORITHMS,
  IPSEC_PROTOCOLS,
  PFS_GROUPS,
  TCP_MSS_RANGE,
} from './shared';
import { weakLabels } from './pages/tunnels/policyFields';

const SRC = __dirname;
/** The part of a schema property this test reads. */
interface SchemaProperty {
  enum?: unknown[];
  oneOf?: SchemaProperty[];
  items?: SchemaProperty;
  minimum?: number;
  maximum?: number;
}
const openapi = JSON.parse(readFileSync(join(SRC, '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
  components: { schemas: Record<string, { properties: Record<string, SchemaProperty> }> };
};
const schema = (name: string) => openapi.components.schemas[name].properties;
/** An enum of the document, its oneOf branches (pfsGroup: integers, then "disable") joined. */
const values = (p: SchemaProperty): unknown[] => (p.oneOf ? p.oneOf.flatMap(values) : p.items ? values(p.items) : (p.enum ?? []));

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [{ path: relative(SRC, p), text: readFileSync(p, 'utf8') }] : [];
  });
}

describe("one source for the console's tables", () => {
  it("the OpenAPI document the console's client is generated from lists the shared module's values, in its order", () => {
    const expected: [string, string, readonly unknown[]][] = [
      ['IkePolicyViewDto', 'version', IKE_VERSIONS],
      ['IkePolicyViewDto', 'authAlgorithm', IKE_AUTH_ALGORITHMS],
      ['IkePolicyViewDto', 'encryptionAlgorithm', ENCRYPTION_ALGORITHMS],
      ['IkePolicyViewDto', 'exchangeMode', IKE_EXCHANGE_MODES],
      ['IkePolicyViewDto', 'dhGroup', DH_GROUPS],
      ['IkePolicyDto', 'dhGroup', DH_GROUPS],
      ['IkeProposalDto', 'encryptionAlgorithm', ENCRYPTION_ALGORITHMS],
      ['IkeProposalDto', 'authAlgorithm', IKE_AUTH_ALGORITHMS],
      ['IkeProposalDto', 'dhGroup', DH_GROUPS],
      ['IpsecPolicyViewDto', 'protocol', IPSEC_PROTOCOLS],
      ['IpsecPolicyViewDto', 'authAlgorithm', IPSEC_AUTH_ALGORITHMS],
      ['IpsecPolicyViewDto', 'encryptionAlgorithm', ENCRYPTION_ALGORITHMS],
      ['IpsecPolicyViewDto', 'pfsGroup', PFS_GROUPS],
      ['IpsecPolicyDto', 'pfsGroup', PFS_GROUPS],
      ['IpsecProposalDto', 'pfsGroup', PFS_GROUPS],
      ['TunnelDto', 'initiatorMode', INITIATOR_MODES],
      ['UpdateTunnelOptionsDto', 'initiatorMode', INITIATOR_MODES],
      ['DpdOptionsDto', 'action', DPD_ACTIONS],
      ['DpdOptionsViewDto', 'action', DPD_ACTIONS],
    ];
    for (const [dto, field, list] of expected) expect([dto, field, values(schema(dto)[field])]).toEqual([dto, field, [...list]]);
    const bounds = (dto: string, field: string) => ({ min: schema(dto)[field].minimum, max: schema(dto)[field].maximum });
    expect(bounds('DpdOptionsDto', 'delaySeconds')).toEqual({ ...DPD_DELAY_RANGE });
    expect(bounds('DpdOptionsDto', 'timeoutSeconds')).toEqual({ ...DPD_TIMEOUT_RANGE });
    expect(bounds('UpdateTunnelOptionsDto', 'tcpMssClamp')).toEqual({ ...TCP_MSS_RANGE });
  });

  it('the console flags exactly the values the API lists as weak', () => {
    const base = { version: 'v2', exchangeMode: null, localId: 'a', remoteId: 'b', lifetimeSeconds: 3600 } as const;
    const strongIke: IkePolicy = { ...base, encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', dhGroup: 19 };
    const strongIpsec: IpsecPolicy = { protocol: 'esp', encryptionAlgorithm: 'aes256', authAlgorithm: 'sha2-256', pfsGroup: 19, lifetimeSeconds: 3600 };
    for (const auth of IKE_AUTH_ALGORITHMS)
      expect([auth, weakLabels({ auth }).length > 0]).toEqual([auth, weakChoices({ ...strongIke, authAlgorithm: auth }, strongIpsec).length > 0]);
    for (const enc of ENCRYPTION_ALGORITHMS)
      expect([enc, weakLabels({ encryption: enc }).length > 0]).toEqual([enc, weakChoices({ ...strongIke, encryptionAlgorithm: enc }, strongIpsec).length > 0]);
    for (const g of DH_GROUPS) expect([g, weakLabels({ group: g }).length > 0]).toEqual([g, weakChoices({ ...strongIke, dhGroup: g }, strongIpsec).length > 0]);
  });

  it("no console file re-declares the tables, and only shared.ts reaches into the server's sources", () => {
    // Signatures of a hand copy: an algorithm or DH table, the IPv4 pattern, the failure-code list.
    const copies = /'aes128gcm16'|'sha2-384'|modp1024|ecp384|25\[0-5\]|'psk_mismatch_or_id_mismatch'|'ike_proposal_mismatch'|'response-only'\s*\]/;
    const found: string[] = [];
    for (const f of sources(SRC)) {
      if (f.path === 'shared.ts') continue;
      if (copies.test(f.text)) found.push(`${f.path}: ${copies.exec(f.text)![0]}`);
      if (/from '(\.\.\/)+src\//.test(f.text)) found.push(`${f.path}: imports the server's sources (go through shared.ts)`);
    }
    expect(found).toEqual([]);
  });
});
