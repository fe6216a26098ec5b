import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBooleanString, IsIn, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../common/list-query';
import { AlertRuleDto } from './alert-template.dto';
import { Optional } from '../common/validators';

const RESOURCE_TYPES = ['gateway', 'tunnel'];
/** Alert events, then the billing notices (src/billing NOTICE_KINDS) that share the channels. */
const NOTIFICATION_EVENTS = ['firing', 'resolved', 'expiring', 'expired', 'renew_failed', 'renewed', 'released'];

export class AlertResourceDto {
  @ApiProperty({ enum: RESOURCE_TYPES }) type: string;
  @ApiProperty({ example: 'vpntnl-k3j9x2ab' }) id: string;
  @ApiProperty({ description: 'The name when the alert fired' }) name: string;
}

export class AlertDto {
  @ApiProperty({ example: 'alert-k3j9x2ab' }) id: string;
  @ApiProperty({ enum: ['firing', 'resolved'] }) state: string;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['recovered', 'cleared'],
    description: 'recovered: the metric came back (notified); cleared: the rule, binding or resource went away (not notified)',
  })
  resolution: string | null;
  @ApiProperty({ type: AlertRuleDto }) rule: AlertRuleDto;
  @ApiProperty() templateId: string;
  @ApiProperty() templateName: string;
  @ApiProperty({ type: AlertResourceDto }) resource: AlertResourceDto;
  @ApiProperty({ description: 'The value of the period that fired it' }) value: number;
  @ApiProperty({ type: Number, nullable: true, description: 'The value of the period that resolved it' }) resolvedValue: number | null;
  @ApiProperty() firedAt: Date;
  @ApiProperty({ type: Date, nullable: true }) resolvedAt: Date | null;
}

export class AlertListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'A gateway or tunnel id' }) @Optional() @IsString() @MaxLength(32) resourceId?: string;
  @ApiPropertyOptional({ enum: RESOURCE_TYPES }) @Optional() @IsIn(RESOURCE_TYPES) resourceType?: string;
  @ApiPropertyOptional({ enum: ['firing', 'resolved'] }) @Optional() @IsIn(['firing', 'resolved']) state?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) templateId?: string;
}

export class AlertPageDto {
  @ApiProperty({ type: [AlertDto] }) items: AlertDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class NotificationDto {
  @ApiProperty({ example: 'ntf-k3j9x2ab' }) id: string;
  @ApiProperty({
    enum: NOTIFICATION_EVENTS,
    description: 'firing/resolved: an alert (alertId is the alert); the others: billing notices (alertId is the notice)',
  })
  event: string;
  @ApiProperty() alertId: string;
  @ApiProperty({ enum: RESOURCE_TYPES }) resourceType: string;
  @ApiProperty() resourceId: string;
  @ApiProperty({ example: 'VPN tunnel to-idc (vpntnl-k3j9x2ab): tunnel_health < 1 for 3 consecutive periods (value 0)' }) message: string;
  @ApiProperty({ type: String, nullable: true, description: "Alert events: the resource's name when the alert fired" }) resourceName: string | null;
  @ApiProperty({ type: String, nullable: true, description: "Alert events: the alert template's name" }) templateName: string | null;
  @ApiProperty({ type: AlertRuleDto, nullable: true, description: 'Alert events: the rule that fired' }) rule: AlertRuleDto | null;
  @ApiProperty() read: boolean;
  @ApiProperty({ type: Date, nullable: true }) readAt: Date | null;
  @ApiProperty() createdAt: Date;
}

export class NotificationListQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: unread only; false: read only' }) @Optional() @IsBooleanString() unread?: string;
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) resourceId?: string;
}

export class NotificationPageDto {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
  @ApiProperty({ description: "Unread notifications of the tenant (whatever the filter): the console's badge" }) unreadCount: number;
}

export class ReadAllResultDto {
  @ApiProperty({ description: 'Notifications marked read' }) marked: number;
}

export class WebhookDeliveryDto {
  @ApiProperty({ example: 'dlv-k3j9x2ab', description: 'Sent as X-VPN-Delivery, the same on every retry' }) id: string;
  @ApiProperty() alertId: string;
  @ApiProperty() templateId: string;
  @ApiProperty() channelId: string;
  @ApiProperty({ enum: NOTIFICATION_EVENTS }) event: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty() maxAttempts: number;
  @ApiProperty({ type: Date, nullable: true, description: 'pending: when the next attempt is due' }) nextAttemptAt: Date | null;
  @ApiProperty({ type: Number, nullable: true }) lastStatusCode: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ type: Date, nullable: true }) deliveredAt: Date | null;
}

export class DeliveryListQueryDto extends ListQueryDto {
  @ApiPropertyOptional() @Optional() @IsString() @MaxLength(32) alertId?: string;
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] }) @Optional() @IsIn(['pending', 'delivered', 'failed']) status?: string;
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items: WebhookDeliveryDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}
