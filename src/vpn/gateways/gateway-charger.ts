// A gateway purchase is paid in the purchase's own transaction: a refused charge leaves no gateway,
// no bound address, no order and no ledger entry. Billing provides the charge (billing.wiring.ts
// binds GATEWAY_CHARGER to ledger.queries.ts's chargeGateway), so vpn/ does not import billing/, which
// imports vpn/ for the gateways it renews and expires (folder-imports.spec.ts keeps that one-way).
import { EntityManager } from 'typeorm';
import { ChargeType } from '../../common/states';

export const GATEWAY_CHARGER = Symbol('GATEWAY_CHARGER');

export interface GatewayPurchase {
  tenantId: string;
  gateway: { id: string; name: string; machineTypeId: string; chargeType: ChargeType };
  kind: 'purchase';
  period: number;
  periodStart: Date;
  periodEnd: Date;
}

/** Charges the tenant's balance in `m`'s transaction; throws (402 insufficient_balance, 409) to refuse. */
export type GatewayCharger = (m: EntityManager, purchase: GatewayPurchase) => Promise<unknown>;
