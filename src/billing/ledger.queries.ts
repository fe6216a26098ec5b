// Money movements. Every one runs inside the caller's transaction and starts by locking the
// tenant's account row, so a tenant's movements are serialised: the balance check, the ledger
// entry and the new balance can never interleave with another purchase, renewal or top-up.
// Lock order everywhere: resource rows (external IP, subnet, gateway) first, the account last.
import { HttpStatus } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Conflict, DomainError } from '../common/errors';
import { ID_PREFIX, newId } from '../common/ids';
import { managerOf } from '../database/manager';
import { violation } from '../common/violations';
import { ChargeType } from '../common/states';
import { Account } from './account.entity';
import { BillingSettings } from './billing-settings.entity';
import { LedgerEntry, LedgerKind } from './ledger-entry.entity';
import { Order, OrderKind } from './order.entity';
import { Price } from './price.entity';
import { formatMoney, orderAmount } from './billing-rules';

/** 402: the balance does not cover the order. The violation's value says how much is missing. */
export class InsufficientBalance extends DomainError {
  constructor(needed: number, available: number, currency: string) {
    const short = formatMoney(needed - available, currency);
    const message = `the order costs ${formatMoney(needed, currency)} but the balance is ${formatMoney(available, currency)}: top up at least ${short} and try again`;
    super(HttpStatus.PAYMENT_REQUIRED, 'insufficient_balance', message, [
      violation('balance', 'covers_amount', { needed, available, shortfall: needed - available, currency }, message),
    ]);
  }
}

export const SETTINGS_ID = 'main';

/** The settings row, created with the defaults on first read. Runs on a transaction's manager or on its own. */
export async function billingSettings(db: DataSource | EntityManager): Promise<BillingSettings> {
  const m = managerOf(db);
  const s = await m.findOne(BillingSettings, { where: { id: SETTINGS_ID } });
  if (s) return s;
  await m.createQueryBuilder().insert().into(BillingSettings).values({ id: SETTINGS_ID }).orIgnore().execute();
  return m.findOneOrFail(BillingSettings, { where: { id: SETTINGS_ID } });
}

/** The tenant's account, created on first use in the settings' currency, locked FOR UPDATE. */
export async function lockAccount(m: EntityManager, tenantId: string): Promise<Account> {
  const existing = await m.createQueryBuilder(Account, 'a').setLock('pessimistic_write').where('a.tenant_id = :tenantId', { tenantId }).getOne();
  if (existing) return existing;
  const { currency } = await billingSettings(m);
  await m.createQueryBuilder().insert().into(Account).values({ tenantId, balance: 0, currency }).orIgnore().execute();
  return m.createQueryBuilder(Account, 'a').setLock('pessimistic_write').where('a.tenant_id = :tenantId', { tenantId }).getOneOrFail();
}

export interface Movement {
  kind: LedgerKind;
  /** Signed minor units. */
  amount: number;
  currency: string;
  orderId?: string | null;
  gatewayId?: string | null;
  description: string;
  idempotencyKey?: string | null;
}

/**
 * Appends one entry to a locked account and moves its balance. A key seen before returns the
 * entry already written (nothing moves twice); a debit the balance cannot cover is refused.
 */
export async function post(m: EntityManager, account: Account, mv: Movement): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
  if (mv.idempotencyKey) {
    const seen = await m.findOne(LedgerEntry, { where: { idempotencyKey: mv.idempotencyKey } });
    if (seen) return { entry: seen, duplicate: true };
  }
  if (mv.currency !== account.currency) throw currencyMismatch(mv.currency, account.currency);
  if (mv.amount < 0 && account.balance + mv.amount < 0) throw new InsufficientBalance(-mv.amount, account.balance, account.currency);
  const balanceAfter = account.balance + mv.amount;
  const entry = m.create(LedgerEntry, {
    id: newId(ID_PREFIX.ledgerEntry),
    tenantId: account.tenantId,
    kind: mv.kind,
    amount: mv.amount,
    balanceAfter,
    currency: account.currency,
    orderId: mv.orderId ?? null,
    gatewayId: mv.gatewayId ?? null,
    description: mv.description.slice(0, 256),
    idempotencyKey: mv.idempotencyKey ?? null,
  });
  await m.insert(LedgerEntry, entry);
  await m.update(Account, { tenantId: account.tenantId }, { balance: balanceAfter });
  account.balance = balanceAfter;
  return { entry, duplicate: false };
}

function currencyMismatch(priced: string, account: string): Conflict {
  const message = `the price is in ${priced} but the tenant's account is in ${account}: the operator must price this machine type in ${account}`;
  return new Conflict('currency_mismatch', message, [violation('currency', 'account_currency', priced, message)]);
}

/** The price of one unit, or 409 not_for_sale: a machine type without a price is not sold. */
export async function priceOf(db: DataSource | EntityManager, machineTypeId: string, chargeType: ChargeType): Promise<Price> {
  const price = await managerOf(db).findOne(Price, { where: { machineTypeId, chargeType } });
  if (!price) {
    const message = `machine type ${machineTypeId} has no ${chargeType} price, so it cannot be bought ${chargeType}: choose another charge type or ask the operator to price it`;
    throw new Conflict('not_for_sale', message, [violation('chargeType', 'priced', chargeType, message)]);
  }
  return price;
}

export interface GatewayCharge {
  tenantId: string;
  gateway: { id: string; name: string; machineTypeId: string; chargeType: ChargeType };
  kind: OrderKind;
  period: number;
  periodStart: Date;
  periodEnd: Date;
  /** Set by jobs (auto-renewal): a second run finds the entry and charges nothing. */
  idempotencyKey?: string | null;
}

/**
 * Prices, checks the balance, writes the order and its charge. Everything is checked before the
 * first write, so a refusal (no price, other currency, balance too low) leaves the transaction
 * clean. Returns null when the idempotency key was already used.
 */
export async function chargeGateway(m: EntityManager, c: GatewayCharge): Promise<Order | null> {
  const price = await priceOf(m, c.gateway.machineTypeId, c.gateway.chargeType);
  const amount = orderAmount(price.unitPrice, c.period);
  const account = await lockAccount(m, c.tenantId);
  if (c.idempotencyKey && (await m.exists(LedgerEntry, { where: { idempotencyKey: c.idempotencyKey } }))) return null;
  if (price.currency !== account.currency) throw currencyMismatch(price.currency, account.currency);
  if (account.balance < amount) throw new InsufficientBalance(amount, account.balance, account.currency);
  const order = m.create(Order, {
    id: newId(ID_PREFIX.order),
    tenantId: c.tenantId,
    kind: c.kind,
    gatewayId: c.gateway.id,
    gatewayName: c.gateway.name,
    machineTypeId: c.gateway.machineTypeId,
    chargeType: c.gateway.chargeType,
    quantity: 1,
    period: c.period,
    unitPrice: price.unitPrice,
    amount,
    currency: price.currency,
    refundedAmount: 0,
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
  });
  await m.insert(Order, order);
  const what = c.kind === 'purchase' ? 'purchase' : c.kind === 'renewal' ? 'renewal' : 'auto-renewal';
  await post(m, account, {
    kind: 'charge',
    amount: -amount,
    currency: price.currency,
    orderId: order.id,
    gatewayId: c.gateway.id,
    description: `${what} of ${c.gateway.name} (${c.gateway.id}): ${c.period} x ${c.gateway.chargeType}`,
    idempotencyKey: c.idempotencyKey ?? null,
  });
  return order;
}
