// apply: carries out a plan in dependency order (peers, gateways, tunnels; deletions in reverse,
// waiting for a deleted tunnel to be gone before its gateway goes), then waits for the file's
// tunnels to connect unless --no-wait.
import { ApiError } from '../../sdk/errors';
import { waitForTunnel, WaitTimeout, type VpnClient } from '../../sdk/client';
import { CliError, EXIT } from '../errors';
import { progressPrinter } from '../progress';
import type { Current, Plan, Step } from './plan';
import type { GatewaySpec, PeerSpec, SiteSpec, TunnelSpec } from './site-file';

const ORDER: Record<Step['op'], Record<Step['kind'], number>> = {
  create: { peer: 0, gateway: 1, tunnel: 2 },
  change: { peer: 0, gateway: 1, tunnel: 2 },
  delete: { tunnel: 3, gateway: 4, peer: 5 },
};

export interface ApplyOptions {
  wait: boolean;
  timeoutMs: number;
  log: (line: string) => void;
}

export async function applyPlan(vpn: VpnClient, site: SiteSpec, current: Current, plan: Plan, opts: ApplyOptions): Promise<void> {
  const ids = {
    peer: new Map(current.peers.map((p) => [p.name, p.id])),
    gateway: new Map(current.gateways.map((g) => [g.name, g.id])),
  };
  const steps = [...plan.steps].sort((a, b) => ORDER[a.op][a.kind] - ORDER[b.op][b.kind]);
  const deletedTunnels: string[] = [];
  for (const step of steps) {
    if (step.op === 'delete' && step.kind !== 'tunnel' && deletedTunnels.length) {
      await waitUntilGone(vpn, deletedTunnels.splice(0), opts.timeoutMs);
    }
    const label = `${step.kind} ${step.name}`;
    if (step.op === 'create') {
      const id = await create(vpn, step, ids);
      if (step.kind !== 'tunnel') ids[step.kind].set(step.name, id);
      opts.log(`created ${label} (${id})`);
    } else if (step.op === 'change') {
      await change(vpn, step);
      opts.log(`changed ${label}: ${step.fields.map((f) => f.field).join(', ')}`);
    } else {
      const path = { params: { path: { id: step.id } } };
      let result: { deleting: string[] };
      if (step.kind === 'tunnel') {
        result = await vpn.call(vpn.api.DELETE('/api/v1/vpn-tunnels/{id}', path));
        deletedTunnels.push(step.id);
      } else if (step.kind === 'gateway') result = await vpn.call(vpn.api.DELETE('/api/v1/vpn-gateways/{id}', path));
      else result = await vpn.call(vpn.api.DELETE('/api/v1/peer-gateways/{id}', path));
      // On a running gateway the host tears it down first: the API answers `deleting`.
      opts.log(`${result.deleting.includes(step.id) ? 'deleting' : 'deleted'} ${label} (${step.id})`);
    }
  }
  if (opts.wait) await waitForSite(vpn, site, opts);
}

async function create(
  vpn: VpnClient,
  step: Extract<Step, { op: 'create' }>,
  ids: { peer: Map<string, string>; gateway: Map<string, string> },
): Promise<string> {
  if (step.kind === 'peer') {
    const s = step.spec;
    return (
      await vpn.call(vpn.api.POST('/api/v1/peer-gateways', { body: { name: s.name, ipAddress: s.ipAddress, ...(s.remark ? { remark: s.remark } : {}) } }))
    ).id;
  }
  if (step.kind === 'gateway') {
    const g = await vpn.call(vpn.api.POST('/api/v1/vpn-gateways', { body: { name: step.name, ...step.body } }));
    if (step.spec.autoRenew !== undefined && g.autoRenew !== step.spec.autoRenew) {
      await vpn.call(vpn.api.PATCH('/api/v1/vpn-gateways/{id}', { params: { path: { id: g.id } }, body: { autoRenew: step.spec.autoRenew } }));
    }
    return g.id;
  }
  const s = step.spec;
  const gatewayId = ids.gateway.get(s.gateway);
  const peerId = ids.peer.get(s.peer);
  if (!gatewayId || !peerId) throw new CliError(`tunnel ${s.name}: gateway ${s.gateway} or peer ${s.peer} does not exist`);
  const body = {
    name: s.name,
    gatewayId,
    peerId,
    localSubnetIds: step.localSubnetIds,
    remoteCidrs: s.remoteCidrs,
    psk: s.psk,
    ...(s.remark ? { remark: s.remark } : {}),
    ...(s.ikePolicy ? { ikePolicy: s.ikePolicy } : {}),
    ...(s.ipsecPolicy ? { ipsecPolicy: s.ipsecPolicy } : {}),
    ...tunnelOptions(s),
  } as const;
  return (await vpn.call(vpn.api.POST('/api/v1/vpn-tunnels', { body: body as never }))).id;
}

async function change(vpn: VpnClient, step: Extract<Step, { op: 'change' }>): Promise<void> {
  const touched = (prefix: string) => step.fields.some((f) => f.field === prefix || f.field.startsWith(`${prefix}.`));
  const path = { path: { id: step.id } };
  if (step.kind === 'peer') {
    await vpn.call(vpn.api.PATCH('/api/v1/peer-gateways/{id}', { params: path, body: { remark: (step.spec as PeerSpec).remark } }));
    return;
  }
  if (step.kind === 'gateway') {
    const s = step.spec as GatewaySpec;
    await vpn.call(
      vpn.api.PATCH('/api/v1/vpn-gateways/{id}', {
        params: path,
        body: { ...(touched('remark') ? { remark: s.remark } : {}), ...(touched('autoRenew') ? { autoRenew: s.autoRenew } : {}) },
      }),
    );
    return;
  }
  const s = step.spec as TunnelSpec;
  if (touched('remark')) await vpn.call(vpn.api.PATCH('/api/v1/vpn-tunnels/{id}', { params: path, body: { remark: s.remark } }));
  if (touched('localSubnets') || touched('remoteCidrs')) {
    await vpn.call(
      vpn.api.PUT('/api/v1/vpn-tunnels/{id}/subnets', { params: path, body: { localSubnetIds: step.localSubnetIds ?? [], remoteCidrs: s.remoteCidrs } }),
    );
  }
  if (touched('ikePolicy') || touched('psk')) {
    const body = { ...(touched('ikePolicy') ? s.ikePolicy : {}), ...(touched('psk') ? { psk: s.psk } : {}) };
    await vpn.call(vpn.api.PUT('/api/v1/vpn-tunnels/{id}/ike-policy', { params: path, body: body as never }));
  }
  if (touched('ipsecPolicy')) await vpn.call(vpn.api.PUT('/api/v1/vpn-tunnels/{id}/ipsec-policy', { params: path, body: s.ipsecPolicy as never }));
  if (touched('dpd') || touched('ikeFragmentation') || touched('tcpMssClamp')) {
    await vpn.call(vpn.api.PUT('/api/v1/vpn-tunnels/{id}/options', { params: path, body: tunnelOptions(s) as never }));
  }
}

/** The tunnel options the file gives (left out: the API's defaults on create, kept on change). */
function tunnelOptions(s: TunnelSpec): Pick<TunnelSpec, 'dpd' | 'ikeFragmentation' | 'tcpMssClamp'> {
  return {
    ...(s.dpd ? { dpd: s.dpd } : {}),
    ...(s.ikeFragmentation !== undefined ? { ikeFragmentation: s.ikeFragmentation } : {}),
    ...(s.tcpMssClamp !== undefined ? { tcpMssClamp: s.tcpMssClamp } : {}),
  };
}

/** A deleted tunnel on a running gateway goes `deleting` first; its gateway cannot go until it is gone. */
async function waitUntilGone(vpn: VpnClient, tunnelIds: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const id of tunnelIds) {
    for (;;) {
      try {
        await vpn.call(vpn.api.GET('/api/v1/vpn-tunnels/{id}', { params: { path: { id }, query: {} } }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) break;
        throw e;
      }
      if (Date.now() > deadline) throw new CliError(`tunnel ${id} is still being deleted after ${Math.round(timeoutMs / 1000)} s`, EXIT.timeout);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Every tunnel of the file connected, within one shared timeout. */
async function waitForSite(vpn: VpnClient, site: SiteSpec, opts: ApplyOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (const spec of site.tunnels) {
    const found = (await vpn.call(vpn.api.GET('/api/v1/vpn-tunnels', { params: { query: { q: spec.name, limit: 100 } } }))).items.find(
      (t) => t.name === spec.name,
    );
    if (!found) throw new CliError(`tunnel ${spec.name} was not found after apply`);
    const progress = progressPrinter();
    try {
      const t = await waitForTunnel(vpn, found.id, 'connected', { timeoutMs: Math.max(0, deadline - Date.now()), onProgress: progress.update });
      progress.done();
      opts.log(`tunnel ${t.name} connected`);
    } catch (e) {
      progress.done();
      if (e instanceof WaitTimeout) throw new CliError(`${e.message} (apply made its changes; vpnctl tunnel logs ${found.id} says why)`, EXIT.timeout);
      throw e;
    }
  }
}
