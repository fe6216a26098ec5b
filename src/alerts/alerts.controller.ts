import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles, tenantOf } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { resolveListQuery } from '../common/list-query';
import { alertView, AlertHistoryService, deliveryView, notificationView } from './alert-history.service';
import { ALERT_SORT, DELIVERY_SORT, NOTIFICATION_SORT } from './alerts.queries';
import {
  AlertDto,
  AlertListQueryDto,
  AlertPageDto,
  DeliveryListQueryDto,
  NotificationDto,
  NotificationListQueryDto,
  NotificationPageDto,
  ReadAllResultDto,
  WebhookDeliveryPageDto,
} from './alerts.dto';

@ApiTags('alerts')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly history: AlertHistoryService) {}

  @Get()
  @ApiOperation({
    summary: 'Alert history: firing and resolved alerts, newest first',
    description: `Sort by ${Object.keys(ALERT_SORT).join(', ')}; q searches resource name and ID, template name.`,
  })
  @ApiOkResponse({ type: AlertPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: AlertListQueryDto): Promise<AlertPageDto> {
    const page = await this.history.alerts(tenantOf(p), resolveListQuery(query, ALERT_SORT, 'firedAt'), query);
    return { ...page, items: page.items.map(alertView) };
  }

  @Get(':id')
  @ApiOkResponse({ type: AlertDto })
  @ApiErrors(404)
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<AlertDto> {
    return alertView(await this.history.alert(tenantOf(p), id));
  }
}

@ApiTags('alerts')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(private readonly history: AlertHistoryService) {}

  @Get()
  @ApiOperation({ summary: 'In-console notifications (console channels), newest first; unread=true for the unread ones' })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: NotificationListQueryDto): Promise<NotificationPageDto> {
    const page = await this.history.notifications(tenantOf(p), resolveListQuery(query, NOTIFICATION_SORT), query);
    const { alerts, ...rest } = page;
    return { ...rest, items: page.items.map((n) => notificationView(n, alerts.get(n.alertId))) };
  }

  @Post('read-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark every notification read' })
  @ApiOkResponse({ type: ReadAllResultDto })
  @ApiErrors()
  async readAll(@CurrentPrincipal() p: Principal): Promise<ReadAllResultDto> {
    return { marked: await this.history.markAllRead(tenantOf(p)) };
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark a notification read (idempotent)' })
  @ApiOkResponse({ type: NotificationDto })
  @ApiErrors(404)
  async read(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<NotificationDto> {
    const n = await this.history.markRead(tenantOf(p), id);
    return notificationView(n, (await this.history.alertsOf(tenantOf(p), [n])).get(n.alertId));
  }
}

@ApiTags('alerts')
@ApiBearerAuth()
@Roles('tenant')
@Controller('api/v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly history: AlertHistoryService) {}

  @Get()
  @ApiOperation({ summary: 'Webhook deliveries and their attempts (retried with exponential back-off on non-2xx answers and network errors)' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiErrors(400)
  async list(@CurrentPrincipal() p: Principal, @Query() query: DeliveryListQueryDto): Promise<WebhookDeliveryPageDto> {
    const page = await this.history.deliveries(tenantOf(p), resolveListQuery(query, DELIVERY_SORT), query);
    return { ...page, items: page.items.map(deliveryView) };
  }
}
