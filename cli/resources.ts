// The four kinds vpnctl gets, describes and deletes, each with its list filters, table columns and
// name resolution (a name or an id is accepted wherever a resource is named).
import { listAll, type Page, type PageRequest } from '../sdk/paging';
import type { Schemas } from '../sdk/errors';
import type { VpnClient } from '../sdk/client';
import { CliError, UsageError } from './errors';
import type { Column } from './output';

export type Gateway = Schemas['GatewayDto'];
export type Peer = Schemas['PeerDto'];
export type Tunnel = Schemas['TunnelDto'];
export type AlertTemplate = Schemas['AlertTemplateDto'];

/** Filters every `get` accepts; each kind uses those its list endpoint has. */
export interface ListFilters {
  q?: string;
  gateway?: string;
  peer?: string;
  vpc?: string;
  state?: string;
  connection?: string;
  sort?: string;
  order?: 'asc' | 'desc';
}

export interface Kind<T extends { id: string; name: string }> {
  name: string;
  aliases: string[];
  /** The id's prefix (vpngw-k3j9x2ab): an argument shaped like an id is taken as one. */
  idPrefix: string;
  columns: Column<T>[];
  list(vpn: VpnClient, f: ListFilters, page: PageRequest): Promise<Page<T>>;
  get(vpn: VpnClient, id: string): Promise<T>;
  remove(vpn: VpnClient, id: string): Promise<Schemas['BatchDeleteResultDto']>;
}

const since = (iso: string | null | undefined) => (iso ? iso.replace(/\.\d+Z$/, 'Z') : '');

export const gateways: Kind<Gateway> = {
  name: 'gateways',
  aliases: ['gateway', 'gw', 'vpn-gateways'],
  idPrefix: 'vpngw',
  columns: [
    { header: 'ID', value: (g) => g.id },
    { header: 'NAME', value: (g) => g.name },
    { header: 'STATE', value: (g) => g.resourceState },
    { header: 'VPC', value: (g) => g.vpc.name },
    { header: 'SUBNET', value: (g) => g.subnet.name },
    { header: 'EXTERNAL IP', value: (g) => g.externalIp.address },
    { header: 'TUNNELS', value: (g) => g.tunnelCount },
    { header: 'CHARGE', value: (g) => g.chargeType },
    { header: 'EXPIRES', value: (g) => since(g.expiresAt) },
  ],
  list: async (vpn, f, page) => {
    const vpcId = f.vpc ? (await resolveVpc(vpn, f.vpc)).id : undefined;
    return vpn.call(
      vpn.api.GET('/api/v1/vpn-gateways', {
        params: { query: { ...page, q: f.q, sort: f.sort, order: f.order, vpcId, resourceState: f.state as Gateway['resourceState'] } },
      }),
    );
  },
  get: (vpn, id) => vpn.call(vpn.api.GET('/api/v1/vpn-gateways/{id}', { params: { path: { id } } })),
  remove: (vpn, id) => vpn.call(vpn.api.DELETE('/api/v1/vpn-gateways/{id}', { params: { path: { id } } })),
};

export const peers: Kind<Peer> = {
  name: 'peers',
  aliases: ['peer', 'peer-gateways'],
  idPrefix: 'rgw',
  columns: [
    { header: 'ID', value: (p) => p.id },
    { header: 'NAME', value: (p) => p.name },
    { header: 'IP', value: (p) => p.ipAddress },
    { header: 'TUNNELS', value: (p) => p.tunnelCount },
    { header: 'CREATED', value: (p) => since(p.createdAt) },
  ],
  list: (vpn, f, page) => vpn.call(vpn.api.GET('/api/v1/peer-gateways', { params: { query: { ...page, q: f.q, sort: f.sort, order: f.order } } })),
  get: (vpn, id) => vpn.call(vpn.api.GET('/api/v1/peer-gateways/{id}', { params: { path: { id } } })),
  remove: (vpn, id) => vpn.call(vpn.api.DELETE('/api/v1/peer-gateways/{id}', { params: { path: { id } } })),
};

export const tunnels: Kind<Tunnel> = {
  name: 'tunnels',
  aliases: ['tunnel', 'vpn-tunnels'],
  idPrefix: 'vpntnl',
  columns: [
    { header: 'ID', value: (t) => t.id },
    { header: 'NAME', value: (t) => t.name },
    { header: 'STATE', value: (t) => t.resourceState },
    { header: 'CONNECTION', value: (t) => t.connectionState },
    { header: 'REASON', value: (t) => t.failure?.code },
    { header: 'GATEWAY', value: (t) => t.gateway.name },
    { header: 'PEER', value: (t) => `${t.peer.name} (${t.peer.ip})` },
    { header: 'LOCAL', value: (t) => t.localSubnets.map((s) => s.cidr) },
    { header: 'REMOTE', value: (t) => t.remoteCidrs },
  ],
  list: async (vpn, f, page) => {
    const gatewayId = f.gateway ? (await resolve(vpn, gateways, f.gateway)).id : undefined;
    const peerId = f.peer ? (await resolve(vpn, peers, f.peer)).id : undefined;
    const query = {
      ...page,
      q: f.q,
      sort: f.sort,
      order: f.order,
      gatewayId,
      peerId,
      resourceState: f.state as Tunnel['resourceState'],
      connectionState: f.connection as Tunnel['connectionState'],
    };
    return vpn.call(vpn.api.GET('/api/v1/vpn-tunnels', { params: { query } }));
  },
  get: (vpn, id) => vpn.call(vpn.api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id }, query: {} } })),
  remove: (vpn, id) => vpn.call(vpn.api.DELETE('/api/v1/vpn-tunnels/{id}', { params: { path: { id } } })),
};

export const alertTemplates: Kind<AlertTemplate> = {
  name: 'alert-templates',
  aliases: ['alert-template', 'templates', 'template'],
  idPrefix: 'alt',
  columns: [
    { header: 'ID', value: (a) => a.id },
    { header: 'NAME', value: (a) => a.name },
    { header: 'DEFAULT', value: (a) => (a.isDefault ? 'yes' : '') },
    { header: 'RULES', value: (a) => a.rules.map((r) => `${r.metric} ${r.comparator} ${r.threshold} x${r.periods}`) },
    { header: 'CHANNELS', value: (a) => a.channels.map((c) => c.type) },
  ],
  list: (vpn, f, page) => vpn.call(vpn.api.GET('/api/v1/alert-templates', { params: { query: { ...page, q: f.q, sort: f.sort, order: f.order } } })),
  get: (vpn, id) => vpn.call(vpn.api.GET('/api/v1/alert-templates/{id}', { params: { path: { id } } })),
  remove: async (vpn, id) => {
    await vpn.call(vpn.api.DELETE('/api/v1/alert-templates/{id}', { params: { path: { id } } }));
    return { deleted: [id], deleting: [] };
  },
};

// Each kind's own row type; the commands treat them alike.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- (for when the lint of issue 15 lands)
export const KINDS: Kind<any>[] = [gateways, peers, tunnels, alertTemplates];

export function kindNamed(word: string): Kind<{ id: string; name: string }> {
  const k = KINDS.find((x) => x.name === word || x.aliases.includes(word));
  if (!k) throw new UsageError(`unknown kind ${word}: one of ${KINDS.map((x) => x.name).join(', ')}`);
  return k;
}

export function listEvery<T extends { id: string; name: string }>(vpn: VpnClient, kind: Kind<T>, f: ListFilters = {}): Promise<T[]> {
  return listAll((page) => kind.list(vpn, f, page));
}

/** A name or an id -> the resource; a name two resources share is refused (use the id). */
export async function resolve<T extends { id: string; name: string }>(vpn: VpnClient, kind: Kind<T>, nameOrId: string): Promise<T> {
  if (new RegExp(`^${kind.idPrefix}-[0-9a-z]{8}$`).test(nameOrId)) return kind.get(vpn, nameOrId);
  const matches = (await listEvery(vpn, kind, { q: nameOrId })).filter((x) => x.name === nameOrId);
  if (matches.length === 0) throw new CliError(`no ${singular(kind)} named ${nameOrId}`);
  if (matches.length > 1) throw new CliError(`${matches.length} ${kind.name} are named ${nameOrId}: use the id (${matches.map((m) => m.id).join(', ')})`);
  return kind.get(vpn, matches[0].id); // the detail: a list row may carry less
}

export const singular = (kind: { name: string }) => kind.name.replace(/s$/, '');

/** Inventory the operator registered for the tenant (VPCs, subnets, external IPs, machine types): read by name. */
export async function resolveVpc(vpn: VpnClient, nameOrId: string): Promise<Schemas['VpcDto']> {
  const all = await listAll((page) => vpn.call(vpn.api.GET('/api/v1/vpcs', { params: { query: { ...page, q: nameOrId } } })));
  return pick(
    all.filter((v) => v.id === nameOrId || v.name === nameOrId),
    'VPC',
    nameOrId,
  );
}

export async function resolveSubnet(vpn: VpnClient, vpcId: string, nameOrId: string): Promise<Schemas['SubnetDto']> {
  const all = await listAll((page) => vpn.call(vpn.api.GET('/api/v1/subnets', { params: { query: { ...page, vpcId } } })));
  return pick(
    all.filter((s) => s.id === nameOrId || s.name === nameOrId || s.cidr === nameOrId),
    `subnet of VPC ${vpcId}`,
    nameOrId,
  );
}

export async function resolveMachineType(vpn: VpnClient, nameOrId: string): Promise<Schemas['MachineTypeDto']> {
  const all = await listAll((page) => vpn.call(vpn.api.GET('/api/v1/machine-types', { params: { query: { ...page } } })));
  return pick(
    all.filter((m) => m.id === nameOrId || m.name === nameOrId),
    'machine type',
    nameOrId,
  );
}

/** An external IP by address or id; `auto`: the first one bound to nothing (and not in `taken`). */
export async function resolveExternalIp(vpn: VpnClient, addressOrId: string, taken: ReadonlySet<string> = new Set()): Promise<Schemas['ExternalIpDto']> {
  const all = await listAll((page) => vpn.call(vpn.api.GET('/api/v1/external-ips', { params: { query: { ...page, sort: 'address', order: 'asc' } } })));
  if (addressOrId === 'auto') {
    const free = all.find((e) => !e.boundTo && !taken.has(e.id));
    if (!free) throw new CliError('externalIp auto: every external IP of the tenant is bound; ask the operator for another');
    return free;
  }
  return pick(
    all.filter((e) => e.id === addressOrId || e.address === addressOrId),
    'external IP',
    addressOrId,
  );
}

function pick<T extends { id: string }>(found: T[], what: string, key: string): T {
  if (found.length === 0) throw new CliError(`no ${what} ${key}`);
  if (found.length > 1) throw new CliError(`${found.length} ${what}s match ${key}: use the id (${found.map((f) => f.id).join(', ')})`);
  return found[0];
}
