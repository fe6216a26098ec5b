// What billing does to a gateway row, inside the caller's transaction (the gateway row locked):
// renew (charge, push expires_at, restore an expired gateway), expire, release. The caller
// dispatches the worker's job and wakes the route agents after the commit.
import { EntityManager } from 'typeorm';
import { finalizeGatewayDeletion } from '../vpn/gateways/gateways.queries';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { finalizeTunnelDeletion } from '../vpn/tunnels/tunnels.queries';
import { VpnTunnel } from '../vpn/tunnels/vpn-tunnel.entity';
import { Order, OrderKind } from './order.entity';
import { renewalPeriod } from './billing-rules';
import { chargeGateway } from './ledger.queries';

export const EXPIRED_FAILURE_CODE = 'gateway_expired';

export async function lockGateway(m: EntityManager, id: string, opts: { tenantId?: string; skipLocked?: boolean } = {}): Promise<VpnGateway | null> {
  const qb = m.createQueryBuilder(VpnGateway, 'g').where('g.id = :id', { id });
  if (opts.tenantId) qb.andWhere('g.tenant_id = :tenantId', { tenantId: opts.tenantId });
  return opts.skipLocked ? qb.setLock('pessimistic_write').setOnLocked('skip_locked').getOne() : qb.setLock('pessimistic_write').getOne();
}

/**
 * Charges a renewal of `period` units and moves the expiry. An expired gateway goes back to
 * `creating` (the worker provisions it again and reconnects its tunnels). Null when the
 * idempotency key was used before (nothing charged, nothing moved).
 */
export async function renewGateway(
  m: EntityManager,
  g: VpnGateway,
  kind: OrderKind,
  period: number,
  now: Date,
  idempotencyKey: string | null = null,
): Promise<Order | null> {
  const { start, end } = renewalPeriod(g.expiresAt, now, g.chargeType, period);
  const order = await chargeGateway(m, {
    tenantId: g.tenantId,
    gateway: { id: g.id, name: g.name, machineTypeId: g.machineTypeId, chargeType: g.chargeType },
    kind,
    period,
    periodStart: start,
    periodEnd: end,
    idempotencyKey,
  });
  if (!order) return null;
  if (g.resourceState === 'expired') {
    await m.update(VpnGateway, { id: g.id }, { expiresAt: end, expiredAt: null, resourceState: 'creating', stateReason: 'renewed: starting again' });
    // Tunnels stopped by the expiry reconnect: the worker loads them into the new charon.
    await m.update(VpnTunnel, { gatewayId: g.id, failureCode: EXPIRED_FAILURE_CODE }, { failureCode: null, failureMessage: null });
  } else {
    await m.update(VpnGateway, { id: g.id }, { expiresAt: end });
  }
  Object.assign(g, { expiresAt: end });
  return order;
}

/** Stops a gateway for non-payment: state `expired`; its tunnels go down and their routes go. */
export async function expireGateway(m: EntityManager, g: VpnGateway, now: Date, releaseAt: Date): Promise<void> {
  await m.update(
    VpnGateway,
    { id: g.id },
    {
      resourceState: 'expired',
      expiredAt: now,
      stateReason: `expired at ${g.expiresAt!.toISOString()}: renew before ${releaseAt.toISOString()} or it is released`,
    },
  );
  await m
    .createQueryBuilder()
    .update(VpnTunnel)
    .set({
      connectionState: 'connecting',
      failureCode: EXPIRED_FAILURE_CODE,
      failureMessage: 'the VPN gateway expired: renew it to reconnect',
      failurePhase: null,
      failureTries: null,
      failureAt: now,
      pairStates: null,
      connectedAt: null,
      disconnectedAt: () => "CASE WHEN connection_state = 'connected' THEN now() ELSE disconnected_at END",
      stateChangedAt: () => 'now()',
    })
    .where('gateway_id = :id', { id: g.id })
    .execute();
}

/** End of retention: the gateway and its tunnels are deleted, its external and private IPs freed. */
export async function releaseGateway(m: EntityManager, g: VpnGateway): Promise<string[]> {
  const tunnels = await m.find(VpnTunnel, { where: { gatewayId: g.id }, select: { id: true }, order: { id: 'ASC' } });
  for (const t of tunnels) await finalizeTunnelDeletion(m, t.id);
  await finalizeGatewayDeletion(m, g.id);
  return tunnels.map((t) => t.id);
}
