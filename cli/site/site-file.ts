// The site file (docs/cli.md "Site files"): YAML or JSON, ${VAR} read from the environment,
// checked against site.schema.json before anything is asked of the API.
import Ajv from 'ajv';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { CliError } from '../errors';
import schema from './site.schema.json';

export interface IkePolicySpec {
  version?: 'v1' | 'v2';
  authAlgorithm?: string;
  encryptionAlgorithm?: string;
  exchangeMode?: string;
  dhGroup?: number;
  localId?: string;
  remoteId?: string;
  lifetimeSeconds?: number;
}
export interface IpsecPolicySpec {
  protocol?: string;
  authAlgorithm?: string;
  encryptionAlgorithm?: string;
  pfsGroup?: number | 'disable';
  lifetimeSeconds?: number;
}
export interface PeerSpec {
  name: string;
  ipAddress: string;
  remark?: string;
}
export interface GatewaySpec {
  name: string;
  vpc: string;
  subnet: string;
  externalIp: string;
  machineType: string;
  chargeType: 'hourly' | 'monthly' | 'yearly';
  period?: number;
  autoRenew?: boolean;
  remark?: string;
}
export interface TunnelSpec {
  name: string;
  gateway: string;
  peer: string;
  localSubnets: string[];
  remoteCidrs: string[];
  psk: string;
  remark?: string;
  ikePolicy?: IkePolicySpec;
  ipsecPolicy?: IpsecPolicySpec;
  dpd?: { delaySeconds?: number; timeoutSeconds?: number; action?: 'clear' | 'hold' | 'restart' };
  ikeFragmentation?: boolean;
  tcpMssClamp?: number | null;
}
export interface SiteSpec {
  apiVersion: 'vpnctl/v1';
  peers: PeerSpec[];
  gateways: GatewaySpec[];
  tunnels: TunnelSpec[];
}

const validate = new Ajv({ allErrors: true }).compile(schema);

/** ${NAME} -> the environment's value; a missing variable is an error naming it. */
function interpolate(node: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof node === 'string') {
    return node.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) throw new CliError(`${path}: environment variable ${name} is not set`);
      return v;
    });
  }
  if (Array.isArray(node)) return node.map((n, i) => interpolate(n, env, `${path}[${i}]`));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k)]));
  return node;
}

/** Parses and validates a site file's text; errors name the field (tunnels[0].ipsecPolicy.pfsGroup) and the rule. */
export function parseSite(text: string, source: string, env: NodeJS.ProcessEnv = process.env): SiteSpec {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new CliError(`${source} is not valid YAML: ${(e as Error).message}`);
  }
  if (!validate(raw)) {
    const details = (validate.errors ?? []).map((e) => {
      const field =
        e.instancePath
          .replace(/^\//, '')
          .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
          .replace(/\//g, '.') || '(file)';
      const extra =
        e.keyword === 'enum'
          ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
          : e.keyword === 'additionalProperties'
            ? `: ${(e.params as { additionalProperty: string }).additionalProperty}`
            : '';
      return `${field}: ${e.message}${extra} [rule: ${e.keyword}]`;
    });
    throw new CliError(`${source} does not match the site file schema (docs/cli.md)`, 1, details);
  }
  const site = interpolate(raw, env, '') as Partial<SiteSpec>;
  const spec: SiteSpec = { apiVersion: 'vpnctl/v1', peers: site.peers ?? [], gateways: site.gateways ?? [], tunnels: site.tunnels ?? [] };
  for (const kind of ['peers', 'gateways', 'tunnels'] as const) {
    const seen = new Set<string>();
    for (const [i, r] of spec[kind].entries()) {
      if (seen.has(r.name)) throw new CliError(`${kind}[${i}].name: ${r.name} is named twice (names are the identity) [rule: unique]`);
      seen.add(r.name);
    }
  }
  return spec;
}

export function readSite(path: string, env: NodeJS.ProcessEnv = process.env): SiteSpec {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseSite(text, path, env);
}
