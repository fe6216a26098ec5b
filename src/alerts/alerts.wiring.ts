// The alerting feature's Nest pieces, spread into AppModule (which provides the database, the
// configuration and the secret box they share with the VPN resources).
import { AlertEvaluator } from './alert-evaluator.service';
import { AlertHistoryService } from './alert-history.service';
import { AlertTemplatesController } from './alert-templates.controller';
import { AlertTemplatesService } from './alert-templates.service';
import { AlertsController, NotificationsController, WebhookDeliveriesController } from './alerts.controller';
import { WebhookSender } from './webhook-sender.service';

// The VPN resources' alert-template bindings (vpn/alert-bindings.controller.ts) sit between the two
// in AppModule: the order the OpenAPI document lists them in.
export const ALERT_TEMPLATE_CONTROLLERS = [AlertTemplatesController];
export const ALERT_HISTORY_CONTROLLERS = [AlertsController, NotificationsController, WebhookDeliveriesController];
export const ALERT_PROVIDERS = [AlertTemplatesService, AlertHistoryService, AlertEvaluator, WebhookSender];
