import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '../auth/principal';
import { Tenant } from '../auth/tenant.entity';
import { assertValid, Conflict, NotFound } from '../common/errors';
import { Page, ResolvedListQuery } from '../common/list-query';
import { Violation, violation } from '../common/violations';
import { parseIsoDateTime } from '../common/validators';
import { checkPeriod, expiryFrom } from '../vpn/gateways/gateway-rules';
import { Account } from './account.entity';
import { BillingSettings } from './billing-settings.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { Order } from './order.entity';
import { BillingQueries } from './billing.queries';
import {
  AccountDto,
  GatewayDeletePreviewDto,
  LedgerListQueryDto,
  OrderListQueryDto,
  PriceDto,
  PutPricesDto,
  QuoteDto,
  QuoteRequestDto,
  RefundDto,
  TopUpDto,
  UpdateBillingSettingsDto,
  UsageDto,
  UsageQueryDto,
} from './billing.dto';
import { checkCurrency, checkMinor, formatMoney, MAX_TOP_UP, MAX_UNIT_PRICE, orderAmount, unusedValue } from './billing-rules';
import { billingSettings, lockAccount, post, priceOf } from './ledger.queries';

export const accountView = (a: Account): AccountDto => ({ tenantId: a.tenantId, balance: a.balance, currency: a.currency, updatedAt: a.updatedAt ?? null });

/** Prices, quotes, accounts, the ledger, orders and the operator's views. */
@Injectable()
export class BillingService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get rows(): BillingQueries {
    return new BillingQueries(this.db);
  }

  // --- prices ------------------------------------------------------------------------------

  async prices(machineTypeId?: string): Promise<PriceDto[]> {
    const rows = await this.rows.prices(machineTypeId);
    return rows.map((p) => ({
      machineTypeId: p.machineTypeId,
      machineTypeName: p.machineType!.name,
      chargeType: p.chargeType,
      unitPrice: p.unitPrice,
      currency: p.currency,
      updatedAt: p.updatedAt,
    }));
  }

  /** Sets the named entries (all or nothing); `unitPrice: null` stops selling that way. */
  async putPrices(dto: PutPricesDto): Promise<PriceDto[]> {
    await this.db.transaction(async (m) => {
      const tx = new BillingQueries(m);
      const settings = await billingSettings(m);
      const ids = [...new Set(dto.items.map((i) => i.machineTypeId))];
      const known = await tx.machineTypeIds(ids);
      const problems: Violation[] = [];
      const seen = new Set<string>();
      dto.items.forEach((item, i) => {
        if (!known.has(item.machineTypeId))
          problems.push(violation(`items[${i}].machineTypeId`, 'exists', item.machineTypeId, `machine type ${item.machineTypeId} does not exist`));
        if (item.unitPrice !== null) problems.push(...checkMinor(item.unitPrice, `items[${i}].unitPrice`, 0, MAX_UNIT_PRICE));
        if (item.currency !== undefined) problems.push(...checkCurrency(item.currency, `items[${i}].currency`));
        const key = `${item.machineTypeId}/${item.chargeType}`;
        if (seen.has(key)) problems.push(violation(`items[${i}]`, 'unique', key, `${key} is named twice`));
        seen.add(key);
      });
      assertValid(problems);
      for (const item of dto.items) {
        if (item.unitPrice === null) {
          await tx.deletePrice(item.machineTypeId, item.chargeType);
        } else {
          await tx.putPrice({
            machineTypeId: item.machineTypeId,
            chargeType: item.chargeType,
            unitPrice: item.unitPrice,
            currency: item.currency ?? settings.currency,
          });
        }
      }
    });
    return this.prices();
  }

  async quote(p: Principal, dto: QuoteRequestDto, now = new Date()): Promise<QuoteDto> {
    const period = dto.period ?? 1;
    const problems = checkPeriod(dto.chargeType, period);
    if (!(await this.rows.machineTypeExists(dto.machineTypeId))) {
      problems.push(violation('machineTypeId', 'exists', dto.machineTypeId, `machine type ${dto.machineTypeId} does not exist`));
    }
    assertValid(problems);
    const price = await priceOf(this.db, dto.machineTypeId, dto.chargeType);
    const amount = orderAmount(price.unitPrice, period);
    const balance = p.tenantId ? (await this.account(p.tenantId)).balance : null;
    return {
      quantity: 1,
      chargeType: dto.chargeType,
      unitPrice: price.unitPrice,
      period,
      amount,
      currency: price.currency,
      expiresAt: expiryFrom(now, dto.chargeType, period),
      balance,
      affordable: balance === null ? null : balance >= amount,
    };
  }

  /**
   * What deleting the gateway would do to its paid time, before the tenant confirms: the time left,
   * its pro-rata value, and the policy (forfeit: no refund on delete, docs/billing.md "Deleting").
   */
  async deletePreview(tenantId: string, gatewayId: string, now = new Date()): Promise<GatewayDeletePreviewDto> {
    const g = await this.rows.tenantGateway(tenantId, gatewayId);
    if (!g) throw new NotFound('VPN gateway', gatewayId);
    const paid = await this.rows.ordersRunningAfter(tenantId, gatewayId, now);
    const value = unusedValue(paid, now);
    const expiresAt = g.expiresAt ?? null;
    return {
      gatewayId,
      chargeType: g.chargeType,
      expiresAt,
      remainingSeconds: expiresAt && g.resourceState !== 'expired' ? Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)) : 0,
      unusedValue: value,
      refund: 0,
      forfeited: value,
      currency: paid[0]?.currency ?? (await this.account(tenantId)).currency,
      policy: 'forfeit',
    };
  }

  // --- accounts and the ledger ----------------------------------------------------------------

  async account(tenantId: string): Promise<AccountDto> {
    const a = await this.rows.account(tenantId);
    if (a) return accountView(a);
    return { tenantId, balance: 0, currency: (await billingSettings(this.db)).currency, updatedAt: null };
  }

  async tenantAccount(tenantId: string): Promise<AccountDto> {
    await this.tenant(tenantId);
    return this.account(tenantId);
  }

  private async tenant(id: string): Promise<Tenant> {
    const t = await this.rows.tenant(id);
    if (!t) throw new NotFound('tenant', id);
    return t;
  }

  async topUp(tenantId: string, dto: TopUpDto): Promise<{ entry: LedgerEntry; account: AccountDto }> {
    assertValid([...checkMinor(dto.amount, 'amount', 1, MAX_TOP_UP), ...(dto.currency !== undefined ? checkCurrency(dto.currency) : [])]);
    await this.tenant(tenantId);
    return this.db.transaction(async (m) => {
      const account = await lockAccount(m, tenantId);
      const { entry } = await post(m, account, {
        kind: 'top_up',
        amount: dto.amount,
        currency: dto.currency ?? account.currency,
        description: dto.description ?? 'top-up by the operator',
        idempotencyKey: dto.idempotencyKey ? `top_up:${tenantId}:${dto.idempotencyKey}` : null,
      });
      return { entry, account: accountView(account) };
    });
  }

  /** Gives back (part of) an order: a refund entry; never more than was paid. */
  async refund(orderId: string, dto: RefundDto): Promise<{ entry: LedgerEntry; account: AccountDto }> {
    return this.db.transaction(async (m) => {
      const tx = new BillingQueries(m);
      const order = await tx.lockOrder(orderId);
      if (!order) throw new NotFound('order', orderId);
      const left = order.amount - order.refundedAmount;
      const amount = dto.amount ?? left;
      if (left <= 0)
        throw new Conflict('order_refunded', `order ${orderId} is already refunded in full`, [
          violation('id', 'refundable', orderId, `order ${orderId} is already refunded in full`),
        ]);
      assertValid(checkMinor(amount, 'amount', 1, left));
      const account = await lockAccount(m, order.tenantId);
      const { entry } = await post(m, account, {
        kind: 'refund',
        amount,
        currency: order.currency,
        orderId: order.id,
        gatewayId: order.gatewayId,
        description: `refund of ${formatMoney(amount, order.currency)} for order ${order.id}${dto.reason ? `: ${dto.reason}` : ''}`,
      });
      await tx.setRefunded(order.id, order.refundedAmount + amount);
      return { entry, account: accountView(account) };
    });
  }

  orders(p: Principal, q: ResolvedListQuery, f: OrderListQueryDto): Promise<Page<Order>> {
    return this.rows.orders(p.tenantId ?? f.tenantId, q, f);
  }

  ledger(p: Principal, q: ResolvedListQuery, f: LedgerListQueryDto): Promise<Page<LedgerEntry>> {
    return this.rows.ledger(p.tenantId ?? f.tenantId, q, f);
  }

  /** Every order of the list (same filters and order, no paging), a page at a time: the Excel export. */
  exportOrders(p: Principal, q: ResolvedListQuery, f: OrderListQueryDto): AsyncIterable<Order> {
    return this.rows.exportOrders(p.tenantId ?? f.tenantId, q, f);
  }

  exportLedger(p: Principal, q: ResolvedListQuery, f: LedgerListQueryDto): AsyncIterable<LedgerEntry> {
    return this.rows.exportLedger(p.tenantId ?? f.tenantId, q, f);
  }

  // --- operator views and settings ------------------------------------------------------------

  async usage(f: UsageQueryDto): Promise<UsageDto> {
    const from = f.from ? parseIsoDateTime(f.from) : null;
    const to = f.to ? parseIsoDateTime(f.to) : null;
    const rows = await this.rows.usage(from, to, f.tenantId ?? null);
    const currency = (await billingSettings(this.db)).currency;
    return {
      from,
      to,
      items: rows.map((r) => ({
        tenantId: r.id,
        tenantName: r.name,
        balance: Number(r.balance ?? 0),
        currency: r.currency ?? currency,
        gateways: r.gateways ?? {},
        orders: Number(r.orders),
        charged: Number(r.charged),
        refunded: Number(r.refunded),
        toppedUp: Number(r.topped_up),
      })),
    };
  }

  settings(): Promise<BillingSettings> {
    return billingSettings(this.db);
  }

  async updateSettings(dto: UpdateBillingSettingsDto): Promise<BillingSettings> {
    if (dto.currency !== undefined) assertValid(checkCurrency(dto.currency));
    const current = await billingSettings(this.db);
    const patch = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined));
    if (Object.keys(patch).length) await this.rows.updateSettings(current.id, patch);
    return billingSettings(this.db);
  }
}
