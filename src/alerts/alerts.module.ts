// The alerting feature's Nest pieces, spread into AppModule (which provides the database, the
// configuration and the secret box they share with the VPN resources).
import { GatewayAlertTemplateController, TunnelAlertTemplateController } from './alert-bindings.controller';
import { AlertEvaluator } from './alert-evaluator.service';
import { AlertHistoryService } from './alert-history.service';
import { AlertTemplatesController } from './alert-templates.controller';
import { AlertTemplatesService } from './alert-templates.service';
import { AlertsController, NotificationsController, WebhookDeliveriesController } from './alerts.controller';
import { WebhookSender } from './webhook-sender.service';

export const ALERT_CONTROLLERS = [
  AlertTemplatesController, GatewayAlertTemplateController, TunnelAlertTemplateController, AlertsController, NotificationsController, WebhookDeliveriesController,
];
export const ALERT_PROVIDERS = [AlertTemplatesService, AlertHistoryService, AlertEvaluator, WebhookSender];
