import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, SelectQueryBuilder } from 'typeorm';
import { Principal } from '../auth/principal';
import { Tenant } from '../auth/tenant.entity';
import { assertValid, Conflict, NotFound } from '../common/errors';
import { pageQuery } from '../common/list';
import { Page, ResolvedListQuery } from '../common/list-query';
import { Violation, violation } from '../common/violations';
import { parseIsoDateTime } from '../common/validators';
import { keysetRows } from '../exports/keyset';
import { MachineType } from '../inventory/inventory.entities';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { checkPeriod, expiryFrom } from '../vpn/gateways/gateway-rules';
import { Account, BillingSettings, LedgerEntry, Order, Price } from './billing.entities';
import {
  AccountDto, BillingListQueryDto, GatewayDeletePreviewDto, LedgerListQueryDto, OrderListQueryDto, PriceDto, PutPricesDto, QuoteDto, QuoteRequestDto, RefundDto, TopUpDto, UpdateBillingSettingsDto,
  UsageDto, UsageQueryDto,
} from './billing.dto';
import { checkCurrency, checkMinor, formatMoney, MAX_TOP_UP, MAX_UNIT_PRICE, orderAmount, unusedValue } from './billing-rules';
import { billingSettings, lockAccount, post, priceOf } from './ledger';

export const ORDER_SORT = { createdAt: 'o.created_at', amount: 'o.amount', periodEnd: 'o.period_end' };
export const LEDGER_SORT = { createdAt: 'l.created_at', amount: 'l.amount' };
const ORDER_SEARCH = ['o.id', 'o.gateway_id', 'o.gateway_name'];
const LEDGER_SEARCH = ['l.id', 'l.order_id', 'l.gateway_id', 'l.description'];

export const accountView = (a: Account): AccountDto => ({ tenantId: a.tenantId, balance: a.balance, currency: a.currency, updatedAt: a.updatedAt ?? null });

/** Prices, quotes, accounts, the ledger, orders and the operator's views. */
@Injectable()
export class BillingService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  // --- prices ------------------------------------------------------------------------------

  async prices(machineTypeId?: string): Promise<PriceDto[]> {
    const qb = this.db.getRepository(Price).createQueryBuilder('p').innerJoinAndSelect('p.machineType', 'mt');
    if (machineTypeId) qb.where('p.machine_type_id = :machineTypeId', { machineTypeId });
    const rows = await qb.orderBy('mt.name').addOrderBy('p.charge_type').getMany();
    return rows.map((p) => ({ machineTypeId: p.machineTypeId, machineTypeName: p.machineType!.name, chargeType: p.chargeType, unitPrice: p.unitPrice, currency: p.currency, updatedAt: p.updatedAt }));
  }

  /** Sets the named entries (all or nothing); `unitPrice: null` stops selling that way. */
  async putPrices(dto: PutPricesDto): Promise<PriceDto[]> {
    await this.db.transaction(async (m) => {
      const settings = await billingSettings(m);
      const ids = [...new Set(dto.items.map((i) => i.machineTypeId))];
      const known = new Set((ids.length ? await m.find(MachineType, { where: { id: In(ids) }, select: { id: true } }) : []).map((t) => t.id));
      const problems: Violation[] = [];
      const seen = new Set<string>();
      dto.items.forEach((item, i) => {
        if (!known.has(item.machineTypeId)) problems.push(violation(`items[${i}].machineTypeId`, 'exists', item.machineTypeId, `machine type ${item.machineTypeId} does not exist`));
        if (item.unitPrice !== null) problems.push(...checkMinor(item.unitPrice, `items[${i}].unitPrice`, 0, MAX_UNIT_PRICE));
        if (item.currency !== undefined) problems.push(...checkCurrency(item.currency, `items[${i}].currency`));
        const key = `${item.machineTypeId}/${item.chargeType}`;
        if (seen.has(key)) problems.push(violation(`items[${i}]`, 'unique', key, `${key} is named twice`));
        seen.add(key);
      });
      assertValid(problems);
      for (const item of dto.items) {
        if (item.unitPrice === null) {
          await m.delete(Price, { machineTypeId: item.machineTypeId, chargeType: item.chargeType });
        } else {
          await m.upsert(Price, { machineTypeId: item.machineTypeId, chargeType: item.chargeType, unitPrice: item.unitPrice, currency: item.currency ?? settings.currency }, ['machineTypeId', 'chargeType']);
        }
      }
    });
    return this.prices();
  }

  async quote(p: Principal, dto: QuoteRequestDto, now = new Date()): Promise<QuoteDto> {
    const period = dto.period ?? 1;
    const problems = checkPeriod(dto.chargeType, period);
    if (!(await this.db.getRepository(MachineType).exists({ where: { id: dto.machineTypeId } }))) {
      problems.push(violation('machineTypeId', 'exists', dto.machineTypeId, `machine type ${dto.machineTypeId} does not exist`));
    }
    assertValid(problems);
    const price = await priceOf(this.db.manager, dto.machineTypeId, dto.chargeType);
    const amount = orderAmount(price.unitPrice, period);
    const balance = p.tenantId ? (await this.account(p.tenantId)).balance : null;
    return {
      quantity: 1, chargeType: dto.chargeType, unitPrice: price.unitPrice, period, amount, currency: price.currency,
      expiresAt: expiryFrom(now, dto.chargeType, period), balance, affordable: balance === null ? null : balance >= amount,
    };
  }

  /**
   * What deleting the gateway would do to its paid time, before the tenant confirms: the time left,
   * its pro-rata value, and the policy (forfeit: no refund on delete, docs/billing.md "Deleting").
   */
  async deletePreview(tenantId: string, gatewayId: string, now = new Date()): Promise<GatewayDeletePreviewDto> {
    const g = await this.db.getRepository(VpnGateway).findOne({ where: { id: gatewayId, tenantId } });
    if (!g) throw new NotFound('VPN gateway', gatewayId);
    const paid = await this.db.getRepository(Order).createQueryBuilder('o')
      .where('o.gateway_id = :id AND o.tenant_id = :tenantId AND o.period_end > :now', { id: gatewayId, tenantId, now }).getMany();
    const value = unusedValue(paid, now);
    const expiresAt = g.expiresAt ?? null;
    return {
      gatewayId, chargeType: g.chargeType, expiresAt,
      remainingSeconds: expiresAt && g.resourceState !== 'expired' ? Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)) : 0,
      unusedValue: value, refund: 0, forfeited: value,
      currency: paid[0]?.currency ?? (await this.account(tenantId)).currency,
      policy: 'forfeit',
    };
  }

  // --- accounts and the ledger ----------------------------------------------------------------

  async account(tenantId: string): Promise<AccountDto> {
    const a = await this.db.getRepository(Account).findOne({ where: { tenantId } });
    if (a) return accountView(a);
    return { tenantId, balance: 0, currency: (await billingSettings(this.db.manager)).currency, updatedAt: null };
  }

  async tenantAccount(tenantId: string): Promise<AccountDto> {
    await this.tenant(tenantId);
    return this.account(tenantId);
  }

  private async tenant(id: string): Promise<Tenant> {
    const t = await this.db.getRepository(Tenant).findOne({ where: { id } });
    if (!t) throw new NotFound('tenant', id);
    return t;
  }

  async topUp(tenantId: string, dto: TopUpDto): Promise<{ entry: LedgerEntry; account: AccountDto }> {
    assertValid([...checkMinor(dto.amount, 'amount', 1, MAX_TOP_UP), ...(dto.currency !== undefined ? checkCurrency(dto.currency) : [])]);
    await this.tenant(tenantId);
    return this.db.transaction(async (m) => {
      const account = await lockAccount(m, tenantId);
      const { entry } = await post(m, account, {
        kind: 'top_up', amount: dto.amount, currency: dto.currency ?? account.currency, description: dto.description ?? 'top-up by the operator',
        idempotencyKey: dto.idempotencyKey ? `top_up:${tenantId}:${dto.idempotencyKey}` : null,
      });
      return { entry, account: accountView(account) };
    });
  }

  /** Gives back (part of) an order: a refund entry; never more than was paid. */
  async refund(orderId: string, dto: RefundDto): Promise<{ entry: LedgerEntry; account: AccountDto }> {
    return this.db.transaction(async (m) => {
      const order = await m.createQueryBuilder(Order, 'o').setLock('pessimistic_write').where('o.id = :orderId', { orderId }).getOne();
      if (!order) throw new NotFound('order', orderId);
      const left = order.amount - order.refundedAmount;
      const amount = dto.amount ?? left;
      if (left <= 0) throw new Conflict('order_refunded', `order ${orderId} is already refunded in full`, [violation('id', 'refundable', orderId, `order ${orderId} is already refunded in full`)]);
      assertValid(checkMinor(amount, 'amount', 1, left));
      const account = await lockAccount(m, order.tenantId);
      const { entry } = await post(m, account, {
        kind: 'refund', amount, currency: order.currency, orderId: order.id, gatewayId: order.gatewayId,
        description: `refund of ${formatMoney(amount, order.currency)} for order ${order.id}${dto.reason ? `: ${dto.reason}` : ''}`,
      });
      await m.update(Order, { id: order.id }, { refundedAmount: order.refundedAmount + amount });
      return { entry, account: accountView(account) };
    });
  }

  private scope<T extends object>(qb: SelectQueryBuilder<T>, p: Principal, f: BillingListQueryDto): SelectQueryBuilder<T> {
    const a = qb.alias;
    const tenantId = p.tenantId ?? f.tenantId;
    if (tenantId) qb.andWhere(`${a}.tenant_id = :tenantId`, { tenantId });
    if (f.from) qb.andWhere(`${a}.created_at >= :from`, { from: parseIsoDateTime(f.from) });
    if (f.to) qb.andWhere(`${a}.created_at < :to`, { to: parseIsoDateTime(f.to) });
    if (f.gatewayId) qb.andWhere(`${a}.gateway_id = :gatewayId`, { gatewayId: f.gatewayId });
    return qb;
  }

  private ordersQuery(p: Principal, f: OrderListQueryDto): SelectQueryBuilder<Order> {
    const qb = this.scope(this.db.getRepository(Order).createQueryBuilder('o').where('1=1'), p, f);
    if (f.kind) qb.andWhere('o.kind = :kind', { kind: f.kind });
    return qb;
  }

  private ledgerQuery(p: Principal, f: LedgerListQueryDto): SelectQueryBuilder<LedgerEntry> {
    const qb = this.scope(this.db.getRepository(LedgerEntry).createQueryBuilder('l').where('1=1'), p, f);
    if (f.kind) qb.andWhere('l.kind = :kind', { kind: f.kind });
    return qb;
  }

  orders(p: Principal, q: ResolvedListQuery, f: OrderListQueryDto): Promise<Page<Order>> {
    return pageQuery(this.ordersQuery(p, f), q, ORDER_SEARCH);
  }

  ledger(p: Principal, q: ResolvedListQuery, f: LedgerListQueryDto): Promise<Page<LedgerEntry>> {
    return pageQuery(this.ledgerQuery(p, f), q, LEDGER_SEARCH);
  }

  /** Every order of the list (same filters and order, no paging), a page at a time: the Excel export. */
  exportOrders(p: Principal, q: ResolvedListQuery, f: OrderListQueryDto): AsyncIterable<Order> {
    return keysetRows(() => this.ordersQuery(p, f), q, ORDER_SEARCH);
  }

  exportLedger(p: Principal, q: ResolvedListQuery, f: LedgerListQueryDto): AsyncIterable<LedgerEntry> {
    return keysetRows(() => this.ledgerQuery(p, f), q, LEDGER_SEARCH);
  }

  // --- operator views and settings ------------------------------------------------------------

  async usage(f: UsageQueryDto): Promise<UsageDto> {
    const from = f.from ? parseIsoDateTime(f.from) : null;
    const to = f.to ? parseIsoDateTime(f.to) : null;
    const rows: { id: string; name: string; balance: string | null; currency: string | null; gateways: Record<string, number> | null; orders: string; charged: string; refunded: string; topped_up: string }[] = await this.db.query(
      `SELECT t.id, t.name, a.balance, a.currency,
              (SELECT jsonb_object_agg(s.resource_state, s.n) FROM (SELECT resource_state, count(*)::int AS n FROM vpn_gateways g WHERE g.tenant_id = t.id GROUP BY resource_state) s) AS gateways,
              (SELECT count(*) FROM orders o WHERE o.tenant_id = t.id AND ($1::timestamptz IS NULL OR o.created_at >= $1) AND ($2::timestamptz IS NULL OR o.created_at < $2)) AS orders,
              COALESCE(SUM(-l.amount) FILTER (WHERE l.kind = 'charge'), 0) AS charged,
              COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'refund'), 0) AS refunded,
              COALESCE(SUM(l.amount) FILTER (WHERE l.kind = 'top_up'), 0) AS topped_up
         FROM tenants t
         LEFT JOIN accounts a ON a.tenant_id = t.id
         LEFT JOIN ledger_entries l ON l.tenant_id = t.id AND ($1::timestamptz IS NULL OR l.created_at >= $1) AND ($2::timestamptz IS NULL OR l.created_at < $2)
        WHERE ($3::varchar IS NULL OR t.id = $3)
        GROUP BY t.id, t.name, a.balance, a.currency
        ORDER BY t.name`,
      [from, to, f.tenantId ?? null],
    );
    const currency = (await billingSettings(this.db.manager)).currency;
    return {
      from, to,
      items: rows.map((r) => ({
        tenantId: r.id, tenantName: r.name, balance: Number(r.balance ?? 0), currency: r.currency ?? currency, gateways: r.gateways ?? {},
        orders: Number(r.orders), charged: Number(r.charged), refunded: Number(r.refunded), toppedUp: Number(r.topped_up),
      })),
    };
  }

  settings(): Promise<BillingSettings> {
    return billingSettings(this.db.manager);
  }

  async updateSettings(dto: UpdateBillingSettingsDto): Promise<BillingSettings> {
    if (dto.currency !== undefined) assertValid(checkCurrency(dto.currency));
    const current = await billingSettings(this.db.manager);
    const patch = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined));
    if (Object.keys(patch).length) await this.db.getRepository(BillingSettings).update({ id: current.id }, patch);
    return billingSettings(this.db.manager);
  }
}
