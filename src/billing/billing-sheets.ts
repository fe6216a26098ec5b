// The Excel sheets of the orders and the ledger (exports/workbook-stream.ts writes them). Amounts
// are stored and served as integer minor units; the sheet shows them in the currency's unit
// (123.45) with a number format, beside the currency, as a finance department reads them.
import { assertWordsForEveryCode, Localized } from '../exports/locale';
import { SheetDef } from '../exports/sheet';
import { CHARGE_TYPE_WORDS } from '../vpn/vpn-sheets';
import { LEDGER_KINDS, LedgerEntry, LedgerKind } from './ledger-entry.entity';
import { Order, ORDER_KINDS, OrderKind } from './order.entity';

export const ORDER_KIND_WORDS: Record<OrderKind, Localized> = {
  purchase: { zh: '新购', en: 'Purchase' },
  renewal: { zh: '续费', en: 'Renewal' },
  auto_renewal: { zh: '自动续费', en: 'Auto-renewal' },
};

export const LEDGER_KIND_WORDS: Record<LedgerKind, Localized> = {
  top_up: { zh: '充值', en: 'Top-up' },
  charge: { zh: '扣费', en: 'Charge' },
  refund: { zh: '退款', en: 'Refund' },
};

assertWordsForEveryCode([ORDER_KINDS, ORDER_KIND_WORDS], [LEDGER_KINDS, LEDGER_KIND_WORDS]);

const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK']);
/** Minor units -> the currency's unit, for display only (the exact value stays an integer in the API). */
export const major = (minor: number, currency: string) => (ZERO_DECIMAL.has(currency) ? minor : minor / 100);
const MONEY_FORMAT = '#,##0.00';

const CURRENCY = { zh: '币种', en: 'Currency' };
const CREATED = { zh: '时间', en: 'Time' };

export const ORDER_SHEET: SheetDef<Order> = {
  title: { zh: '订单', en: 'Orders' },
  fileName: 'orders',
  columns: [
    { key: 'id', type: 'text', header: { zh: '订单号', en: 'Order' }, width: 16 },
    { key: 'createdAt', type: 'date', header: CREATED },
    { key: 'kind', type: 'enum', header: { zh: '类型', en: 'Type' }, words: ORDER_KIND_WORDS },
    { key: 'tenantId', type: 'text', header: { zh: '租户', en: 'Tenant' }, width: 18 },
    { key: 'gatewayName', type: 'text', header: { zh: 'VPN网关', en: 'VPN gateway' } },
    { key: 'gatewayId', type: 'text', header: { zh: '网关 ID', en: 'Gateway ID' }, width: 18 },
    { key: 'chargeType', type: 'enum', header: { zh: '计费方式', en: 'Charge type' }, words: CHARGE_TYPE_WORDS },
    { key: 'quantity', type: 'number', header: { zh: '数量', en: 'Quantity' }, width: 8 },
    { key: 'period', type: 'number', header: { zh: '时长', en: 'Period' }, width: 8 },
    { key: 'unitPrice', type: 'number', header: { zh: '单价', en: 'Unit price' }, numFmt: MONEY_FORMAT, value: (o) => major(o.unitPrice, o.currency) },
    { key: 'amount', type: 'number', header: { zh: '金额', en: 'Amount' }, numFmt: MONEY_FORMAT, value: (o) => major(o.amount, o.currency) },
    {
      key: 'refundedAmount',
      type: 'number',
      header: { zh: '已退款', en: 'Refunded' },
      numFmt: MONEY_FORMAT,
      value: (o) => major(o.refundedAmount, o.currency),
    },
    { key: 'currency', type: 'text', header: CURRENCY, width: 8 },
    { key: 'periodStart', type: 'date', header: { zh: '服务开始', en: 'Period start' } },
    { key: 'periodEnd', type: 'date', header: { zh: '服务结束', en: 'Period end' } },
  ],
};

export const LEDGER_SHEET: SheetDef<LedgerEntry> = {
  title: { zh: '账户流水', en: 'Ledger' },
  fileName: 'ledger',
  columns: [
    { key: 'id', type: 'text', header: { zh: '流水号', en: 'Entry' }, width: 16 },
    { key: 'createdAt', type: 'date', header: CREATED },
    { key: 'kind', type: 'enum', header: { zh: '类型', en: 'Type' }, words: LEDGER_KIND_WORDS },
    { key: 'tenantId', type: 'text', header: { zh: '租户', en: 'Tenant' }, width: 18 },
    { key: 'amount', type: 'number', header: { zh: '金额', en: 'Amount' }, numFmt: MONEY_FORMAT, value: (l) => major(l.amount, l.currency) },
    { key: 'balanceAfter', type: 'number', header: { zh: '余额', en: 'Balance' }, numFmt: MONEY_FORMAT, value: (l) => major(l.balanceAfter, l.currency) },
    { key: 'currency', type: 'text', header: CURRENCY, width: 8 },
    { key: 'orderId', type: 'text', header: { zh: '订单号', en: 'Order' }, width: 16 },
    { key: 'gatewayId', type: 'text', header: { zh: '网关 ID', en: 'Gateway ID' }, width: 18 },
    { key: 'description', type: 'text', header: { zh: '说明', en: 'Description' }, width: 48 },
  ],
};
