import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { COMPARATORS, MAX_PERIODS, METRIC_NAMES, METRICS, MIN_PERIODS } from './alert-metrics';
import { CHANNEL_TYPES, MAX_CHANNELS, MAX_RULES, SECRET_MAX_LENGTH, SECRET_MIN_LENGTH } from './template-rules';
import { NullClears, Optional } from '../common/validators';

// Rules and channels are checked by the pure validators in template-rules.ts (every broken field at
// once, with its rule); the DTOs let them through and document them.

const METRIC_DOC = METRIC_NAMES.map((m) => `\`${m}\`: ${METRICS[m].description}`).join('; ');

export class AlertRuleDto {
  @ApiProperty({ enum: METRIC_NAMES, description: `Tunnel metrics apply to bound tunnels, gateway metrics to bound gateways. ${METRIC_DOC}` }) metric: string;
  @ApiProperty({ enum: COMPARATORS, description: 'value <comparator> threshold breaches: lt <, le <=, gt >, ge >=, eq =, ne !=' }) comparator: string;
  @ApiProperty({ example: 1, description: 'health 0..1, utilisation 0..1 (a fraction), rates >= 0' }) threshold: number;
  @ApiProperty({ minimum: MIN_PERIODS, maximum: MAX_PERIODS, example: 3, description: 'Consecutive breaching evaluation periods before the alert fires' })
  periods: number;
}

export class ChannelInputDto {
  @ApiPropertyOptional({ description: 'Id of a stored channel of this template, to keep it (a webhook then keeps its secret when `secret` is left out)' })
  id?: string;
  @ApiProperty({ enum: CHANNEL_TYPES, description: 'webhook: POST JSON signed with X-VPN-Signature; console: in-console notifications (at most one)' })
  type: string;
  @ApiPropertyOptional({ example: 'https://hooks.example.com/vpn', description: 'webhook: http(s) URL' }) url?: string;
  @ApiPropertyOptional({
    writeOnly: true,
    minLength: SECRET_MIN_LENGTH,
    maxLength: SECRET_MAX_LENGTH,
    description: 'webhook: HMAC-SHA256 key; stored encrypted, never returned',
  })
  secret?: string;
}

export class CreateAlertTemplateDto {
  @ApiProperty({ example: 'production tunnels' }) @IsString() @Length(1, 64) name: string;
  @ApiPropertyOptional({ maxLength: 256, nullable: true, description: 'null clears it' })
  @NullClears()
  @Optional()
  @IsString()
  @MaxLength(256)
  description?: string;
  @ApiProperty({ type: [AlertRuleDto], description: `1-${MAX_RULES} distinct rules` }) @Allow() rules: unknown;
  @ApiPropertyOptional({ type: [ChannelInputDto], description: `0-${MAX_CHANNELS} channels; default: none (history only)` }) @Allow() channels?: unknown;
  @ApiPropertyOptional({ description: "Make it the tenant's default (bound to new gateways and tunnels)" }) @Optional() @IsBoolean() isDefault?: boolean;
}

export class UpdateAlertTemplateDto {
  @ApiPropertyOptional() @Optional() @IsString() @Length(1, 64) name?: string;
  @ApiPropertyOptional({ maxLength: 256 }) @Optional() @IsString() @MaxLength(256) description?: string;
  @ApiPropertyOptional({ type: [AlertRuleDto], description: 'Replaces the rules. Unchanged rules keep their alert state; changed or removed ones are cleared' })
  @Allow()
  rules?: unknown;
  @ApiPropertyOptional({ type: [ChannelInputDto], description: 'Replaces the channels; name a stored webhook by id to keep its secret' })
  @Allow()
  channels?: unknown;
  @ApiPropertyOptional({ description: 'true makes it the default (the previous default stays, as an ordinary template); false is refused on the default' })
  @Optional()
  @IsBoolean()
  isDefault?: boolean;
}

export class ChannelDto {
  @ApiProperty({ example: 'chn-k3j9x2ab' }) id: string;
  @ApiProperty({ enum: CHANNEL_TYPES }) type: string;
  @ApiPropertyOptional({ description: 'webhook only' }) url?: string;
  @ApiPropertyOptional({ description: 'webhook only: a secret is stored (it is never returned)' }) secretSet?: boolean;
}

export class AlertTemplateDto {
  @ApiProperty({ example: 'alt-k3j9x2ab' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ description: 'New gateways and tunnels are bound to the default template; it cannot be deleted' }) isDefault: boolean;
  @ApiProperty({ type: [AlertRuleDto] }) rules: AlertRuleDto[];
  @ApiProperty({ type: [ChannelDto] }) channels: ChannelDto[];
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class AlertTemplatePageDto {
  @ApiProperty({ type: [AlertTemplateDto] }) items: AlertTemplateDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class BindAlertTemplateDto {
  @ApiProperty({ type: String, nullable: true, example: 'alt-k3j9x2ab', description: 'A template of this tenant; null unbinds (no alerts)' })
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(32)
  alertTemplateId: string | null;
}
