import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ListQueryDto } from '../common/list-query';
import { ExportLangDto } from '../exports/export-query';
import { CHARGE_TYPES, ChargeType } from '../common/states';
import { LEDGER_KINDS } from './ledger-entry.entity';
import { ORDER_KINDS } from './order.entity';
import { MAX_TOP_UP, MAX_UNIT_PRICE } from './billing-rules';
import { IsIsoDateTime, Optional } from '../common/validators';

const MINOR = 'integer minor units of the currency (fen, cents): 12345 = 123.45';

export class PriceDto {
  @ApiProperty({ example: 'mt-k3j9x2ab' }) machineTypeId: string;
  @ApiProperty({ example: 'lab-x86' }) machineTypeName: string;
  @ApiProperty({ enum: CHARGE_TYPES }) chargeType: ChargeType;
  @ApiProperty({ example: 20000, description: `Price of one unit (hour, month or year), ${MINOR}` }) unitPrice: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty() updatedAt: Date;
}

export class PriceListDto {
  @ApiProperty({ type: [PriceDto] }) items: PriceDto[];
}

export class PriceListQueryDto {
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) machineTypeId?: string;
}

export class PriceEntryDto {
  @ApiProperty({ example: 'mt-k3j9x2ab' }) @IsString() @MaxLength(32) machineTypeId: string;
  @ApiProperty({ enum: CHARGE_TYPES }) @IsIn(CHARGE_TYPES) chargeType: ChargeType;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 20000,
    description: `${MINOR}; 0 is free; null removes the price (the machine type is then not sold this way)`,
    maximum: MAX_UNIT_PRICE,
  })
  @Allow()
  unitPrice: number | null;
  @ApiPropertyOptional({ example: 'CNY', description: "ISO 4217; default: the billing settings' currency" }) @Optional() @IsString() currency?: string;
}

export class PutPricesDto {
  @ApiProperty({ type: [PriceEntryDto], description: 'Entries to set (upsert per machine type and charge type); entries not named stay as they are' })
  @IsArray()
  @ArrayMaxSize(300)
  @ValidateNested({ each: true })
  @Type(() => PriceEntryDto)
  items: PriceEntryDto[];
}

export class QuoteRequestDto {
  @ApiProperty({ example: 'mt-k3j9x2ab' }) @IsString() @MaxLength(32) machineTypeId: string;
  @ApiProperty({ enum: CHARGE_TYPES }) @IsIn(CHARGE_TYPES) chargeType: ChargeType;
  @ApiPropertyOptional({ example: 1, default: 1, description: 'hourly 1-24, monthly 1-11, yearly 1-5' }) @Optional() @IsInt() period?: number;
}

export class QuoteDto {
  @ApiProperty({ example: 1, description: 'Always 1: one gateway per order' }) quantity: number;
  @ApiProperty({ enum: CHARGE_TYPES }) chargeType: ChargeType;
  @ApiProperty({ example: 20000, description: MINOR }) unitPrice: number;
  @ApiProperty({ example: 3 }) period: number;
  @ApiProperty({ example: 60000, description: `unitPrice x period, ${MINOR}` }) amount: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ description: 'When a gateway bought now would expire' }) expiresAt: Date;
  @ApiProperty({ type: Number, nullable: true, description: "The tenant's balance (null for operators)" }) balance: number | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Whether the balance covers the amount (null for operators)' }) affordable: boolean | null;
}

export class OrderDto {
  @ApiProperty({ example: 'ord-k3j9x2ab' }) id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty({ enum: ORDER_KINDS }) kind: string;
  @ApiProperty() gatewayId: string;
  @ApiProperty({ description: "The gateway's name when ordered" }) gatewayName: string;
  @ApiProperty() machineTypeId: string;
  @ApiProperty({ enum: CHARGE_TYPES }) chargeType: ChargeType;
  @ApiProperty({ example: 1 }) quantity: number;
  @ApiProperty() period: number;
  @ApiProperty({ description: MINOR }) unitPrice: number;
  @ApiProperty({ description: MINOR }) amount: number;
  @ApiProperty() currency: string;
  @ApiProperty({ description: `Refunded so far, ${MINOR}` }) refundedAmount: number;
  @ApiProperty() periodStart: Date;
  @ApiProperty() periodEnd: Date;
  @ApiProperty() createdAt: Date;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto] }) items: OrderDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class BillingListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'Operators: one tenant (default all); tenants: ignored' }) @Optional() @IsString() @MaxLength(32) tenantId?: string;
  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' }) @Optional() @IsIsoDateTime() from?: string;
  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' }) @Optional() @IsIsoDateTime() to?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) gatewayId?: string;
}

export class OrderListQueryDto extends BillingListQueryDto {
  @ApiPropertyOptional({ enum: ORDER_KINDS }) @Optional() @IsIn(ORDER_KINDS) kind?: string;
}

export class LedgerListQueryDto extends BillingListQueryDto {
  @ApiPropertyOptional({ enum: LEDGER_KINDS }) @Optional() @IsIn(LEDGER_KINDS) kind?: string;
}

export class LedgerEntryDto {
  @ApiProperty({ example: 'led-k3j9x2ab' }) id: string;
  @ApiProperty() tenantId: string;
  @ApiProperty({ enum: LEDGER_KINDS }) kind: string;
  @ApiProperty({ example: -20000, description: `Signed: + top-up or refund, - charge; ${MINOR}` }) amount: number;
  @ApiProperty({ description: `The balance after this entry, ${MINOR}` }) balanceAfter: number;
  @ApiProperty() currency: string;
  @ApiProperty({ type: String, nullable: true }) orderId: string | null;
  @ApiProperty({ type: String, nullable: true }) gatewayId: string | null;
  @ApiProperty() description: string;
  @ApiProperty() createdAt: Date;
}

export class LedgerPageDto {
  @ApiProperty({ type: [LedgerEntryDto] }) items: LedgerEntryDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class AccountDto {
  @ApiProperty() tenantId: string;
  @ApiProperty({ description: MINOR }) balance: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ type: Date, nullable: true }) updatedAt: Date | null;
}

export class TopUpDto {
  @ApiProperty({ example: 100000, description: `${MINOR}; positive`, minimum: 1, maximum: MAX_TOP_UP }) @Allow() amount: number;
  @ApiPropertyOptional({ example: 'CNY', description: "Must be the account's currency (default: it)" }) @Optional() @IsString() currency?: string;
  @ApiPropertyOptional({ maxLength: 200, example: 'bank transfer 2026-11-21' }) @Optional() @IsString() @MaxLength(200) description?: string;
  @ApiPropertyOptional({ maxLength: 100, description: 'A retry with the same key tops up once' })
  @Optional()
  @IsString()
  @Matches(/^[\w.:-]{1,100}$/, { message: 'idempotencyKey must be 1-100 letters, digits, _ . : -' })
  idempotencyKey?: string;
}

export class RefundDto {
  @ApiPropertyOptional({ description: `${MINOR}; default: what is left of the order` }) @Allow() amount?: number;
  @ApiPropertyOptional({ maxLength: 200 }) @Optional() @IsString() @MaxLength(200) reason?: string;
}

export class LedgerResultDto {
  @ApiProperty({ type: LedgerEntryDto }) entry: LedgerEntryDto;
  @ApiProperty({ type: AccountDto }) account: AccountDto;
}

export class RenewDto {
  @ApiProperty({ example: 1, description: "Units of the gateway's charge type: hourly 1-24, monthly 1-11, yearly 1-5" }) @Allow() period: number;
}

export class RenewResultDto {
  @ApiProperty({ type: OrderDto }) order: OrderDto;
  @ApiProperty({ description: 'The new expiry' }) expiresAt: Date;
  @ApiProperty({ description: "The gateway's state after the renewal (an expired gateway starts again: creating)" }) resourceState: string;
  @ApiProperty({ description: MINOR }) balance: number;
}

export class BillingSettingsDto {
  @ApiProperty({ example: 168, description: 'Hours an expired gateway is kept (stopped) before it is released', minimum: 0, maximum: 8760 })
  retentionHours: number;
  @ApiProperty({ example: 24, description: 'Hours before expiry the "expires soon" notice goes out', minimum: 0, maximum: 720 }) noticeLeadHours: number;
  @ApiProperty({ example: 10, description: 'Minutes before expiry auto-renewal is charged', minimum: 0, maximum: 1440 }) autoRenewLeadMinutes: number;
  @ApiProperty({ example: 60, description: 'Seconds between sweeps in each API process; 0 = only POST /billing/sweep', minimum: 0, maximum: 86400 })
  sweepIntervalSeconds: number;
  @ApiProperty({ example: 'CNY', description: 'Currency of new accounts and of prices set without one' }) currency: string;
}

export class UpdateBillingSettingsDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 8760 }) @Optional() @IsInt() @Min(0) @Max(8760) retentionHours?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 720 }) @Optional() @IsInt() @Min(0) @Max(720) noticeLeadHours?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1440 }) @Optional() @IsInt() @Min(0) @Max(1440) autoRenewLeadMinutes?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 86400 }) @Optional() @IsInt() @Min(0) @Max(86400) sweepIntervalSeconds?: number;
  @ApiPropertyOptional({ example: 'CNY' }) @Optional() @IsString() currency?: string;
}

export class SweepReportDto {
  @ApiProperty({ description: 'Gateways near or past expiry, or at the end of retention, looked at' }) checked: number;
  @ApiProperty() notified: number;
  @ApiProperty() autoRenewed: number;
  @ApiProperty() autoRenewFailed: number;
  @ApiProperty() expired: number;
  @ApiProperty() released: number;
}

export class TenantUsageDto {
  @ApiProperty() tenantId: string;
  @ApiProperty() tenantName: string;
  @ApiProperty({ description: MINOR }) balance: number;
  @ApiProperty() currency: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'Gateways by state', example: { running: 2, expired: 1 } })
  gateways: Record<string, number>;
  @ApiProperty({ description: 'Orders in the period' }) orders: number;
  @ApiProperty({ description: `Charged in the period, ${MINOR}` }) charged: number;
  @ApiProperty({ description: `Refunded in the period, ${MINOR}` }) refunded: number;
  @ApiProperty({ description: `Topped up in the period, ${MINOR}` }) toppedUp: number;
}

export class UsageQueryDto {
  @ApiPropertyOptional({ description: 'Period start (ISO 8601); default: everything' }) @Optional() @IsIsoDateTime() from?: string;
  @ApiPropertyOptional({ description: 'Period end, exclusive (ISO 8601)' }) @Optional() @IsIsoDateTime() to?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) tenantId?: string;
}

export class UsageDto {
  @ApiProperty({ type: [TenantUsageDto] }) items: TenantUsageDto[];
  @ApiProperty({ type: Date, nullable: true }) from: Date | null;
  @ApiProperty({ type: Date, nullable: true }) to: Date | null;
}

const PAGING = ['offset', 'limit'] as const;
export class OrderExportQueryDto extends IntersectionType(OmitType(OrderListQueryDto, PAGING), ExportLangDto) {}
export class LedgerExportQueryDto extends IntersectionType(OmitType(LedgerListQueryDto, PAGING), ExportLangDto) {}

export class GatewayDeletePreviewDto {
  @ApiProperty() gatewayId: string;
  @ApiProperty({ enum: CHARGE_TYPES }) chargeType: ChargeType;
  @ApiProperty({ type: Date, nullable: true }) expiresAt: Date | null;
  @ApiProperty({ description: 'Paid time left, in seconds (0 for an expired gateway)' }) remainingSeconds: number;
  @ApiProperty({
    example: 13333,
    description: `The pro-rata value of that time: what was paid (less refunds) times the share of each paid period still ahead, ${MINOR}`,
  })
  unusedValue: number;
  @ApiProperty({ example: 0, description: `What deleting refunds, ${MINOR}: always 0 (the policy)` }) refund: number;
  @ApiProperty({ example: 13333, description: `What deleting forfeits, ${MINOR}: unusedValue - refund` }) forfeited: number;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({
    enum: ['forfeit'],
    description: 'forfeit: deleting ends the paid time without a refund (docs/billing.md); an operator can still refund an order',
  })
  policy: 'forfeit';
}
