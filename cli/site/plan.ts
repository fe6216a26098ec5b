// plan: what apply would do to make the tenant match a site file. Names are the identity; a
// resource the file does not name is left alone unless --prune. Only the fields the file gives are
// compared (a policy field left out keeps the tenant's value), so an edit shows exactly that field.
import { normalizeCidr } from '../../src/common/cidr';
import type { VpnClient } from '../../sdk/client';
import type { Schemas } from '../../sdk/errors';
import {
  gateways as gatewayKind,
  listEvery,
  peers as peerKind,
  resolveExternalIp,
  resolveMachineType,
  resolveSubnet,
  resolveVpc,
  tunnels as tunnelKind,
  type Gateway,
  type Peer,
  type Tunnel,
} from '../resources';
import { CliError } from '../errors';
import type { GatewaySpec, PeerSpec, SiteSpec, TunnelSpec } from './site-file';

export type ResourceKind = 'peer' | 'gateway' | 'tunnel';

export interface FieldChange {
  field: string;
  from?: unknown;
  to: unknown;
  /** Shown masked: the value never reaches the terminal. */
  secret?: boolean;
}

export type Step =
  | { op: 'create'; kind: 'peer'; name: string; fields: FieldChange[]; spec: PeerSpec }
  | {
      op: 'create';
      kind: 'gateway';
      name: string;
      fields: FieldChange[];
      spec: GatewaySpec;
      body: Omit<Schemas['CreateGatewayDto'], 'name'>;
      quote: Schemas['QuoteDto'] | null;
    }
  | { op: 'create'; kind: 'tunnel'; name: string; fields: FieldChange[]; spec: TunnelSpec; localSubnetIds: string[] }
  | { op: 'change'; kind: ResourceKind; name: string; id: string; fields: FieldChange[]; spec: PeerSpec | GatewaySpec | TunnelSpec; localSubnetIds?: string[] }
  | { op: 'delete'; kind: ResourceKind; name: string; id: string; fields: FieldChange[] };

export interface Plan {
  steps: Step[];
  /** Fields that cannot change in place: apply refuses while there are any. */
  blocked: { kind: ResourceKind; name: string; field: string; from: unknown; to: unknown }[];
  /** Resources of the tenant the file does not name (deleted only with --prune). */
  unmanaged: { kind: ResourceKind; name: string; id: string }[];
}

export interface Current {
  peers: Peer[];
  gateways: Gateway[];
  /** Tunnels with their PSK (includePsk=true), to compare it. */
  tunnels: Tunnel[];
}

export async function readCurrent(vpn: VpnClient, site: SiteSpec): Promise<Current> {
  const [peers, gateways, listed] = await Promise.all([listEvery(vpn, peerKind), listEvery(vpn, gatewayKind), listEvery(vpn, tunnelKind)]);
  const named = new Set(site.tunnels.map((t) => t.name));
  // The PSK is read only for the tunnels the file names (the list never carries it).
  const tunnels = await Promise.all(
    listed.map((t) =>
      named.has(t.name) ? vpn.call(vpn.api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id: t.id }, query: { includePsk: 'true' } } })) : t,
    ),
  );
  return { peers, gateways, tunnels };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
const byName = <T extends { name: string }>(list: T[], name: string): T | undefined => list.find((x) => x.name === name);

/** Key order and "none" spelled as null, [] or absent do not make a change (policies' proposal lists). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}
function same(a: unknown, b: unknown): boolean {
  const none = (x: unknown) => x === undefined || x === null || (Array.isArray(x) && x.length === 0);
  if (none(a) && none(b)) return true;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function changed(fields: FieldChange[], field: string, from: unknown, to: unknown, secret = false): void {
  if (to === undefined) return; // not in the file: not managed
  if (same(from, to)) return;
  fields.push(secret ? { field, to: '(secret)', from: '(secret)', secret } : { field, from, to });
}

/** Compares what the tenant has with the file; reads the inventory the file names (VPCs, subnets, ...). */
export async function makePlan(vpn: VpnClient, site: SiteSpec, current: Current, opts: { prune: boolean }): Promise<Plan> {
  const plan: Plan = { steps: [], blocked: [], unmanaged: [] };
  const block = (kind: ResourceKind, name: string, field: string, from: unknown, to: unknown) => plan.blocked.push({ kind, name, field, from, to });

  for (const spec of site.peers) {
    const have = byName(current.peers, spec.name);
    if (!have) {
      plan.steps.push({
        op: 'create',
        kind: 'peer',
        name: spec.name,
        spec,
        fields: [{ field: 'ipAddress', to: spec.ipAddress }, ...(spec.remark ? [{ field: 'remark', to: spec.remark }] : [])],
      });
      continue;
    }
    if (have.ipAddress !== spec.ipAddress) block('peer', spec.name, 'ipAddress', have.ipAddress, spec.ipAddress);
    const fields: FieldChange[] = [];
    changed(fields, 'remark', have.remark ?? '', spec.remark);
    if (fields.length) plan.steps.push({ op: 'change', kind: 'peer', name: spec.name, id: have.id, spec, fields });
  }

  // Subnets of each gateway's VPC, by name/CIDR/id, for the tunnels' localSubnets.
  const vpcOfGateway = new Map<string, string>();
  // External IPs this plan gives to new gateways: two `auto` gateways must not get the same one.
  const eipsTaken = new Set<string>();
  for (const spec of site.gateways) {
    const have = byName(current.gateways, spec.name);
    if (!have) {
      const vpc = await resolveVpc(vpn, spec.vpc);
      const subnet = await resolveSubnet(vpn, vpc.id, spec.subnet);
      const eip = await resolveExternalIp(vpn, spec.externalIp, eipsTaken);
      eipsTaken.add(eip.id);
      const machineType = await resolveMachineType(vpn, spec.machineType);
      vpcOfGateway.set(spec.name, vpc.id);
      const body = {
        machineTypeId: machineType.id,
        vpcId: vpc.id,
        subnetId: subnet.id,
        externalIpId: eip.id,
        chargeType: spec.chargeType,
        ...(spec.period ? { period: spec.period } : {}),
        ...(spec.remark ? { remark: spec.remark } : {}),
      };
      const quote = await vpn
        .call(
          vpn.api.POST('/api/v1/vpn-gateways/quote', {
            body: { machineTypeId: machineType.id, chargeType: spec.chargeType, ...(spec.period ? { period: spec.period } : {}) },
          }),
        )
        .catch(() => null);
      const fields: FieldChange[] = [
        { field: 'vpc', to: vpc.name },
        { field: 'subnet', to: `${subnet.name} (${subnet.cidr})` },
        { field: 'externalIp', to: eip.address },
        { field: 'machineType', to: machineType.name },
        { field: 'chargeType', to: spec.chargeType },
      ];
      if (spec.period) fields.push({ field: 'period', to: spec.period });
      if (quote)
        fields.push({
          field: 'price',
          to: `${(quote.amount / 100).toFixed(2)} ${quote.currency} (balance ${quote.balance === null ? '?' : (quote.balance / 100).toFixed(2)})`,
        });
      plan.steps.push({ op: 'create', kind: 'gateway', name: spec.name, spec, fields, body, quote });
      continue;
    }
    vpcOfGateway.set(spec.name, have.vpc.id);
    if (spec.vpc !== have.vpc.name && spec.vpc !== have.vpc.id) block('gateway', spec.name, 'vpc', have.vpc.name, spec.vpc);
    if (![have.subnet.name, have.subnet.id, have.subnet.cidr].includes(spec.subnet)) block('gateway', spec.name, 'subnet', have.subnet.name, spec.subnet);
    if (spec.externalIp !== 'auto' && ![have.externalIp.address, have.externalIp.id].includes(spec.externalIp))
      block('gateway', spec.name, 'externalIp', have.externalIp.address, spec.externalIp);
    if (have.chargeType !== spec.chargeType) block('gateway', spec.name, 'chargeType', have.chargeType, spec.chargeType);
    const machineType = await resolveMachineType(vpn, spec.machineType);
    if (machineType.id !== have.machineTypeId) block('gateway', spec.name, 'machineType', have.machineTypeId, spec.machineType);
    const fields: FieldChange[] = [];
    changed(fields, 'remark', have.remark ?? '', spec.remark);
    changed(fields, 'autoRenew', have.autoRenew, spec.autoRenew);
    if (fields.length) plan.steps.push({ op: 'change', kind: 'gateway', name: spec.name, id: have.id, spec, fields });
  }

  for (const spec of site.tunnels) {
    const gw = byName(current.gateways, spec.gateway);
    const vpcId = vpcOfGateway.get(spec.gateway) ?? gw?.vpc.id;
    if (!vpcId) throw new CliError(`tunnels: ${spec.name}: gateway ${spec.gateway} is neither in the file nor in the tenant`);
    if (!site.peers.some((p) => p.name === spec.peer) && !byName(current.peers, spec.peer)) {
      throw new CliError(`tunnels: ${spec.name}: peer ${spec.peer} is neither in the file nor in the tenant`);
    }
    const localSubnets = await Promise.all(spec.localSubnets.map((s) => resolveSubnet(vpn, vpcId, s)));
    const localSubnetIds = localSubnets.map((s) => s.id);
    const remoteCidrs = spec.remoteCidrs.map((c) => normalizeCidr(c) ?? c);
    const have = byName(current.tunnels, spec.name);
    if (!have) {
      const fields: FieldChange[] = [
        { field: 'gateway', to: spec.gateway },
        { field: 'peer', to: spec.peer },
        { field: 'localSubnets', to: localSubnets.map((s) => `${s.name} (${s.cidr})`).join(', ') },
        { field: 'remoteCidrs', to: remoteCidrs.join(', ') },
        { field: 'psk', to: '(secret)', secret: true },
      ];
      for (const [k, v] of Object.entries(spec.ikePolicy ?? {})) fields.push({ field: `ikePolicy.${k}`, to: v });
      for (const [k, v] of Object.entries(spec.ipsecPolicy ?? {})) fields.push({ field: `ipsecPolicy.${k}`, to: v });
      for (const [k, v] of Object.entries(spec.dpd ?? {})) fields.push({ field: `dpd.${k}`, to: v });
      if (spec.ikeFragmentation !== undefined) fields.push({ field: 'ikeFragmentation', to: spec.ikeFragmentation });
      if (spec.tcpMssClamp !== undefined) fields.push({ field: 'tcpMssClamp', to: spec.tcpMssClamp });
      plan.steps.push({ op: 'create', kind: 'tunnel', name: spec.name, spec, fields, localSubnetIds });
      continue;
    }
    if (have.gateway.name !== spec.gateway) block('tunnel', spec.name, 'gateway', have.gateway.name, spec.gateway);
    if (have.peer.name !== spec.peer) block('tunnel', spec.name, 'peer', have.peer.name, spec.peer);
    const fields: FieldChange[] = [];
    changed(fields, 'remark', have.remark ?? '', spec.remark);
    const haveSubnetIds = have.localSubnets.map((s) => s.id);
    if (!sameSet(haveSubnetIds, localSubnetIds))
      fields.push({ field: 'localSubnets', from: have.localSubnets.map((s) => s.name).join(', '), to: localSubnets.map((s) => s.name).join(', ') });
    if (!sameSet(have.remoteCidrs, remoteCidrs)) fields.push({ field: 'remoteCidrs', from: have.remoteCidrs.join(', '), to: remoteCidrs.join(', ') });
    for (const [k, v] of Object.entries(spec.ikePolicy ?? {})) changed(fields, `ikePolicy.${k}`, (have.ikePolicy as Record<string, unknown>)[k], v);
    for (const [k, v] of Object.entries(spec.ipsecPolicy ?? {})) changed(fields, `ipsecPolicy.${k}`, (have.ipsecPolicy as Record<string, unknown>)[k], v);
    for (const [k, v] of Object.entries(spec.dpd ?? {})) changed(fields, `dpd.${k}`, (have.dpd as Record<string, unknown>)[k], v);
    if (spec.ikeFragmentation !== undefined) changed(fields, 'ikeFragmentation', have.ikeFragmentation, spec.ikeFragmentation);
    if (spec.tcpMssClamp !== undefined) changed(fields, 'tcpMssClamp', have.tcpMssClamp, spec.tcpMssClamp);
    if (have.psk !== undefined && have.psk !== spec.psk) fields.push({ field: 'psk', from: '(secret)', to: '(changed)', secret: true });
    if (fields.length) plan.steps.push({ op: 'change', kind: 'tunnel', name: spec.name, id: have.id, spec, fields, localSubnetIds });
  }

  // What the file does not name: deleted in reverse dependency order, only with --prune.
  const extra = (kind: ResourceKind, have: { id: string; name: string }[], named: { name: string }[]) =>
    have.filter((h) => !named.some((n) => n.name === h.name)).map((h) => ({ kind, name: h.name, id: h.id }));
  const unmanaged = [
    ...extra('tunnel', current.tunnels, site.tunnels),
    ...extra('gateway', current.gateways, site.gateways),
    ...extra('peer', current.peers, site.peers),
  ];
  if (opts.prune) for (const u of unmanaged) plan.steps.push({ op: 'delete', ...u, fields: [] });
  else plan.unmanaged = unmanaged;
  return plan;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const SIGN = { create: '+', change: '~', delete: '-' } as const;

/** The plan as a person reads it: one block per resource, field by field, PSKs masked. */
export function formatPlan(plan: Plan, source: string): string {
  const out: string[] = [];
  for (const s of plan.steps) {
    out.push(`${SIGN[s.op]} ${s.kind} ${s.name}${s.op === 'create' ? '' : ` (${s.id})`}`);
    for (const f of s.fields) out.push(s.op === 'change' ? `    ${f.field}: ${show(f.from)} -> ${show(f.to)}` : `    ${f.field}: ${show(f.to)}`);
  }
  for (const b of plan.blocked)
    out.push(`! ${b.kind} ${b.name}: ${b.field} cannot change in place (${show(b.from)} -> ${show(b.to)}): delete it or give it a new name`);
  const count = (op: Step['op']) => plan.steps.filter((s) => s.op === op).length;
  if (!plan.steps.length && !plan.blocked.length) out.push(`No changes: the tenant matches ${source}.`);
  else out.push(`Plan: ${count('create')} to create, ${count('change')} to change, ${count('delete')} to delete.`);
  if (plan.unmanaged.length)
    out.push(
      `${plan.unmanaged.length} resource(s) not in ${source} left alone (--prune deletes them): ${plan.unmanaged.map((u) => `${u.kind} ${u.name}`).join(', ')}`,
    );
  return out.join('\n') + '\n';
}

/** The plan as data (-o json): no spec, no PSK. */
export function planAsData(plan: Plan) {
  return {
    steps: plan.steps.map((s) => ({
      op: s.op,
      kind: s.kind,
      name: s.name,
      ...('id' in s ? { id: s.id } : {}),
      fields: s.fields.map((f) => ({ field: f.field, ...(f.from !== undefined ? { from: f.from } : {}), to: f.to })),
    })),
    blocked: plan.blocked,
    unmanaged: plan.unmanaged,
  };
}
