import { DataSource, EntityManager, In, SelectQueryBuilder } from 'typeorm';
import { Tenant } from '../auth/tenant.entity';
import { pageQuery } from '../common/list.queries';
import { Page, ResolvedListQuery } from '../common/list-query';
import { parseIsoDateTime } from '../common/validators';
import { managerOf } from '../database/manager';
import { keysetRows } from '../exports/keyset.queries';
import { MachineType } from '../inventory/machine-type.entity';
import { VpnGateway } from '../vpn/gateways/vpn-gateway.entity';
import { ChargeType } from '../common/states';
import { Account } from './account.entity';
import { BillingSettings } from './billing-settings.entity';
import { LedgerEntry } from './ledger-entry.entity';
import { Order } from './order.entity';
import { Price } from './price.entity';
import { BillingListQueryDto, LedgerListQueryDto, OrderListQueryDto } from './billing.dto';

export const ORDER_SORT = { createdAt: 'o.created_at', amount: 'o.amount', periodEnd: 'o.period_end' };
export const LEDGER_SORT = { createdAt: 'l.created_at', amount: 'l.amount' };
const ORDER_SEARCH = ['o.id', 'o.gateway_id', 'o.gateway_name'];
const LEDGER_SEARCH = ['l.id', 'l.order_id', 'l.gateway_id', 'l.description'];

/** One tenant's usage row of the operator's view (amounts as PostgreSQL returns them: text). */
export interface UsageRow {
  id: string;
  name: string;
  balance: string | null;
  currency: string | null;
  gateways: Record<string, number> | null;
  orders: string;
  charged: string;
  refunded: string;
  topped_up: string;
}

/** What BillingService reads and writes (the ledger's own statements are in ledger.queries.ts). */
export class BillingQueries {
  private readonly m: EntityManager;
  constructor(db: DataSource | EntityManager) {
    this.m = managerOf(db);
  }

  /** Prices with their machine types, by machine type name then charge type. */
  prices(machineTypeId?: string): Promise<Price[]> {
    const qb = this.m.getRepository(Price).createQueryBuilder('p').innerJoinAndSelect('p.machineType', 'mt');
    if (machineTypeId) qb.where('p.machine_type_id = :machineTypeId', { machineTypeId });
    return qb.orderBy('mt.name').addOrderBy('p.charge_type').getMany();
  }

  /** Which of these machine type ids exist. */
  async machineTypeIds(ids: string[]): Promise<Set<string>> {
    return new Set((ids.length ? await this.m.find(MachineType, { where: { id: In(ids) }, select: { id: true } }) : []).map((t) => t.id));
  }

  machineTypeExists(id: string): Promise<boolean> {
    return this.m.getRepository(MachineType).exists({ where: { id } });
  }

  async deletePrice(machineTypeId: string, chargeType: ChargeType): Promise<void> {
    await this.m.delete(Price, { machineTypeId, chargeType });
  }

  async putPrice(price: Pick<Price, 'machineTypeId' | 'chargeType' | 'unitPrice' | 'currency'>): Promise<void> {
    await this.m.upsert(Price, price, ['machineTypeId', 'chargeType']);
  }

  tenantGateway(tenantId: string, id: string): Promise<VpnGateway | null> {
    return this.m.getRepository(VpnGateway).findOne({ where: { id, tenantId } });
  }

  /** The gateway's orders whose paid period runs past `now`. */
  ordersRunningAfter(tenantId: string, gatewayId: string, now: Date): Promise<Order[]> {
    return this.m
      .getRepository(Order)
      .createQueryBuilder('o')
      .where('o.gateway_id = :id AND o.tenant_id = :tenantId AND o.period_end > :now', { id: gatewayId, tenantId, now })
      .getMany();
  }

  account(tenantId: string): Promise<Account | null> {
    return this.m.getRepository(Account).findOne({ where: { tenantId } });
  }

  tenant(id: string): Promise<Tenant | null> {
    return this.m.getRepository(Tenant).findOne({ where: { id } });
  }

  lockOrder(id: string): Promise<Order | null> {
    return this.m.createQueryBuilder(Order, 'o').setLock('pessimistic_write').where('o.id = :orderId', { orderId: id }).getOne();
  }

  async setRefunded(orderId: string, refundedAmount: number): Promise<void> {
    await this.m.update(Order, { id: orderId }, { refundedAmount });
  }

  private scope<T extends object>(qb: SelectQueryBuilder<T>, tenantId: string | null | undefined, f: BillingListQueryDto): SelectQueryBuilder<T> {
    const a = qb.alias;
    if (tenantId) qb.andWhere(`${a}.tenant_id = :tenantId`, { tenantId });
    if (f.from) qb.andWhere(`${a}.created_at >= :from`, { from: parseIsoDateTime(f.from) });
    if (f.to) qb.andWhere(`${a}.created_at < :to`, { to: parseIsoDateTime(f.to) });
    if (f.gatewayId) qb.andWhere(`${a}.gateway_id = :gatewayId`, { gatewayId: f.gatewayId });
    return qb;
  }

  private ordersQuery(tenantId: string | null | undefined, f: OrderListQueryDto): SelectQueryBuilder<Order> {
    const qb = this.scope(this.m.getRepository(Order).createQueryBuilder('o').where('1=1'), tenantId, f);
    if (f.kind) qb.andWhere('o.kind = :kind', { kind: f.kind });
    return qb;
  }

  private ledgerQuery(tenantId: string | null | undefined, f: LedgerListQueryDto): SelectQueryBuilder<LedgerEntry> {
    const qb = this.scope(this.m.getRepository(LedgerEntry).createQueryBuilder('l').where('1=1'), tenantId, f);
    if (f.kind) qb.andWhere('l.kind = :kind', { kind: f.kind });
    return qb;
  }

  orders(tenantId: string | null | undefined, q: ResolvedListQuery, f: OrderListQueryDto): Promise<Page<Order>> {
    return pageQuery(this.ordersQuery(tenantId, f), q, ORDER_SEARCH);
  }

  ledger(tenantId: string | null | undefined, q: ResolvedListQuery, f: LedgerListQueryDto): Promise<Page<LedgerEntry>> {
    return pageQuery(this.ledgerQuery(tenantId, f), q, LEDGER_SEARCH);
  }

  /** Every order of the list (same filters and order, no paging), a page at a time: the Excel export. */
  exportOrders(tenantId: string | null | undefined, q: ResolvedListQuery, f: OrderListQueryDto): AsyncIterable<Order> {
    return keysetRows(() => this.ordersQuery(tenantId, f), q, ORDER_SEARCH);
  }

  exportLedger(tenantId: string | null | undefined, q: ResolvedListQuery, f: LedgerListQueryDto): AsyncIterable<LedgerEntry> {
    return keysetRows(() => this.ledgerQuery(tenantId, f), q, LEDGER_SEARCH);
  }

  /** Per tenant: balance, gateways by state, orders and ledger sums in [from, to). */
  async usage(from: Date | null, to: Date | null, tenantId: string | null): Promise<UsageRow[]> {
    const rows: UsageRow[] = await this.m.query(
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
      [from, to, tenantId],
    );
    return rows;
  }

  /**
   * Up to `limit` gateways after id `after` (in id order) the sweeper must look at: running ones
   * expiring by `horizon`, expired ones whose retention ended by `retentionStart`.
   */
  gatewaysDue(after: string, horizon: Date, retentionStart: Date, limit: number): Promise<{ id: string }[]> {
    return this.m.query(
      `SELECT id FROM vpn_gateways
        WHERE id > $1 AND expires_at IS NOT NULL AND resource_state <> 'deleting'
          AND ((resource_state <> 'expired' AND expires_at <= $2) OR (resource_state = 'expired' AND expired_at <= $3))
        ORDER BY id LIMIT ${limit}`,
      [after, horizon, retentionStart],
    );
  }

  async updateSettings(id: string, patch: Partial<BillingSettings>): Promise<void> {
    await this.m.getRepository(BillingSettings).update({ id }, patch);
  }
}
