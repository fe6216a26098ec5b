import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { resolveListQuery } from '../common/list-query';
import { resolveLang } from '../exports/locale';
import { ApiXlsxExport, streamWorkbook } from '../exports/workbook-stream';
import { LEDGER_SHEET, ORDER_SHEET } from './billing-sheets';
import { LedgerEntry } from './ledger-entry.entity';
import { Order } from './order.entity';
import {
  AccountDto,
  BillingSettingsDto,
  GatewayDeletePreviewDto,
  LedgerEntryDto,
  LedgerExportQueryDto,
  LedgerListQueryDto,
  OrderExportQueryDto,
  LedgerPageDto,
  LedgerResultDto,
  OrderDto,
  OrderListQueryDto,
  OrderPageDto,
  PriceListDto,
  PriceListQueryDto,
  PutPricesDto,
  QuoteDto,
  QuoteRequestDto,
  RefundDto,
  RenewDto,
  RenewResultDto,
  SweepReportDto,
  TopUpDto,
  UpdateBillingSettingsDto,
  UsageDto,
  UsageQueryDto,
} from './billing.dto';
import { ApiPaymentRequired } from '../common/api-payment-required';
import { BillingSweeper } from './billing-sweeper.service';
import { LEDGER_SORT, ORDER_SORT } from './billing.queries';
import { BillingService } from './billing.service';
import { RenewalsService } from './renewals.service';

export const orderView = (o: Order): OrderDto => ({
  id: o.id,
  tenantId: o.tenantId,
  kind: o.kind,
  gatewayId: o.gatewayId,
  gatewayName: o.gatewayName,
  machineTypeId: o.machineTypeId,
  chargeType: o.chargeType,
  quantity: o.quantity,
  period: o.period,
  unitPrice: o.unitPrice,
  amount: o.amount,
  currency: o.currency,
  refundedAmount: o.refundedAmount,
  periodStart: o.periodStart,
  periodEnd: o.periodEnd,
  createdAt: o.createdAt,
});

export const ledgerView = (l: LedgerEntry): LedgerEntryDto => ({
  id: l.id,
  tenantId: l.tenantId,
  kind: l.kind,
  amount: l.amount,
  balanceAfter: l.balanceAfter,
  currency: l.currency,
  orderId: l.orderId,
  gatewayId: l.gatewayId,
  description: l.description,
  createdAt: l.createdAt,
});

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/prices')
export class PricesController {
  constructor(private readonly billing: BillingService) {}

  @Get()
  @ApiOperation({ summary: 'The price list: per machine type and charge type, the price of one unit (hour, month, year) in minor units' })
  @ApiOkResponse({ type: PriceListDto })
  @ApiErrors(400)
  async list(@Query() q: PriceListQueryDto): Promise<PriceListDto> {
    return { items: await this.billing.prices(q.machineTypeId) };
  }

  @Put()
  @Roles('admin')
  @ApiOperation({ summary: 'Set prices (operators): each entry is upserted, `unitPrice: null` removes it; entries not named are kept. All or nothing.' })
  @ApiOkResponse({ type: PriceListDto })
  @ApiErrors(400)
  async put(@Body() body: PutPricesDto): Promise<PriceListDto> {
    return { items: await this.billing.putPrices(body) };
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/vpn-gateways')
export class GatewayBillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly renewals: RenewalsService,
  ) {}

  @Post('quote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Price a purchase before buying: quantity 1, unit price, period, amount, expiry, and whether the balance covers it' })
  @ApiOkResponse({ type: QuoteDto })
  @ApiErrors(400, 409)
  quote(@CurrentPrincipal() p: Principal, @Body() body: QuoteRequestDto): Promise<QuoteDto> {
    return this.billing.quote(p, body);
  }

  @Get(':id/delete-preview')
  @Roles('tenant')
  @ApiOperation({
    summary: 'Before deleting a gateway: the paid time left, its pro-rata value, and what deleting refunds (nothing: the time is forfeited) and forfeits',
  })
  @ApiOkResponse({ type: GatewayDeletePreviewDto })
  @ApiErrors(404)
  deletePreview(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<GatewayDeletePreviewDto> {
    return this.billing.deletePreview(tenantOf(p), id);
  }

  @Post(':id/renew')
  @HttpCode(200)
  @Roles('tenant')
  @ApiOperation({ summary: 'Renew a gateway for `period` units of its charge type (hourly 1-24, monthly 1-11, yearly 1-5); an expired gateway starts again' })
  @ApiOkResponse({ type: RenewResultDto })
  @ApiErrors(400, 404, 409)
  @ApiPaymentRequired()
  async renew(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: RenewDto): Promise<RenewResultDto> {
    const r = await this.renewals.renew(tenantOf(p), id, body);
    return { ...r, order: orderView(r.order) };
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/orders')
export class OrdersController {
  constructor(private readonly billing: BillingService) {}

  @Get()
  @ApiOperation({
    summary: 'Orders (purchases and renewals), newest first; operators see every tenant (?tenantId= filters)',
    description: `Sort by ${Object.keys(ORDER_SORT).join(', ')}; q searches order id, gateway id and name.`,
  })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() q: OrderListQueryDto): Promise<OrderPageDto> {
    const page = await this.billing.orders(p, resolveListQuery(q, ORDER_SORT), q);
    return { ...page, items: page.items.map(orderView) };
  }

  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the orders as Excel',
    description:
      "The list's filters (from/to period, kind, gatewayId, tenantId for operators, q) and sort, no paging; lang=zh|en (default: Accept-Language, else zh). Amounts in the currency's unit.",
  })
  @ApiXlsxExport('The orders')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() q: OrderExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.billing.exportOrders(p, resolveListQuery(q, ORDER_SORT), q);
    await streamWorkbook(res, ORDER_SHEET, rows, { lang: resolveLang(q.lang, acceptLanguage) });
  }

  @Post(':id/refunds')
  @Roles('admin')
  @ApiOperation({ summary: "Refund (part of) an order to its tenant's balance (operators); never more than was paid" })
  @ApiCreatedResponse({ type: LedgerResultDto })
  @ApiErrors(400, 404, 409)
  async refund(@Param('id') id: string, @Body() body: RefundDto): Promise<LedgerResultDto> {
    const r = await this.billing.refund(id, body);
    return { entry: ledgerView(r.entry), account: r.account };
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/ledger')
export class LedgerController {
  constructor(private readonly billing: BillingService) {}

  @Get()
  @ApiOperation({
    summary: 'The account ledger (append-only: top-ups, charges, refunds, each with the balance after it); operators see every tenant',
    description: `Sort by ${Object.keys(LEDGER_SORT).join(', ')}.`,
  })
  @ApiOkResponse({ type: LedgerPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() q: LedgerListQueryDto): Promise<LedgerPageDto> {
    const page = await this.billing.ledger(p, resolveListQuery(q, LEDGER_SORT), q);
    return { ...page, items: page.items.map(ledgerView) };
  }

  @Get('export.xlsx')
  @ApiOperation({
    summary: 'Download the ledger as Excel',
    description:
      "The list's filters (from/to period, kind, gatewayId, tenantId for operators, q) and sort, no paging; lang=zh|en (default: Accept-Language, else zh). Amounts in the currency's unit.",
  })
  @ApiXlsxExport('The ledger')
  @ApiErrors(400)
  async export(
    @CurrentPrincipal() p: Principal,
    @Query() q: LedgerExportQueryDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = this.billing.exportLedger(p, resolveListQuery(q, LEDGER_SORT), q);
    await streamWorkbook(res, LEDGER_SHEET, rows, { lang: resolveLang(q.lang, acceptLanguage) });
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/account')
export class AccountController {
  constructor(private readonly billing: BillingService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's balance (minor units)" })
  @ApiOkResponse({ type: AccountDto })
  @ApiErrors()
  get(@CurrentPrincipal() p: Principal): Promise<AccountDto> {
    return this.billing.account(tenantOf(p));
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/tenants')
export class TenantAccountsController {
  constructor(private readonly billing: BillingService) {}

  @Get(':id/account')
  @ApiOperation({ summary: "A tenant's balance (operators)" })
  @ApiOkResponse({ type: AccountDto })
  @ApiErrors(404)
  get(@Param('id') id: string): Promise<AccountDto> {
    return this.billing.tenantAccount(id);
  }

  @Post(':id/top-ups')
  @ApiOperation({ summary: "Top up a tenant's balance (operators); an idempotencyKey makes a retry harmless" })
  @ApiCreatedResponse({ type: LedgerResultDto })
  @ApiErrors(400, 404, 409)
  async topUp(@Param('id') id: string, @Body() body: TopUpDto): Promise<LedgerResultDto> {
    const r = await this.billing.topUp(id, body);
    return { entry: ledgerView(r.entry), account: r.account };
  }
}

@ApiTags('billing')
@ApiBearerAuth()
@Controller('api/v1/billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly sweeper: BillingSweeper,
  ) {}

  @Get('usage')
  @Roles('admin')
  @ApiOperation({ summary: "Every tenant's balance, gateways by state, orders and money moved in a period (operators)" })
  @ApiOkResponse({ type: UsageDto })
  @ApiErrors(400)
  usage(@Query() q: UsageQueryDto): Promise<UsageDto> {
    return this.billing.usage(q);
  }

  @Get('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'Billing settings (operators): retention of expired gateways, notice lead time, auto-renewal lead time, sweep interval, currency' })
  @ApiOkResponse({ type: BillingSettingsDto })
  @ApiErrors()
  async settings(): Promise<BillingSettingsDto> {
    return settingsView(await this.billing.settings());
  }

  @Put('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'Change billing settings (operators); fields not sent are kept' })
  @ApiOkResponse({ type: BillingSettingsDto })
  @ApiErrors(400)
  async updateSettings(@Body() body: UpdateBillingSettingsDto): Promise<BillingSettingsDto> {
    const s = settingsView(await this.billing.updateSettings(body));
    await this.sweeper.schedule();
    return s;
  }

  @Post('sweep')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Run the billing sweep now (operators): notices, auto-renewals, expiry, release. Safe to repeat: it charges and notifies once.' })
  @ApiOkResponse({ type: SweepReportDto })
  @ApiErrors()
  sweep(): Promise<SweepReportDto> {
    return this.sweeper.sweep();
  }
}

const settingsView = (s: BillingSettingsDto): BillingSettingsDto => ({
  retentionHours: s.retentionHours,
  noticeLeadHours: s.noticeLeadHours,
  autoRenewLeadMinutes: s.autoRenewLeadMinutes,
  sweepIntervalSeconds: s.sweepIntervalSeconds,
  currency: s.currency,
});
