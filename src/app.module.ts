import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditService } from './audit/audit.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ALERT_HISTORY_CONTROLLERS, ALERT_PROVIDERS, ALERT_TEMPLATE_CONTROLLERS } from './alerts/alerts.wiring';
import { BILLING_CONTROLLERS, BILLING_PROVIDERS } from './billing/billing.wiring';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthThrottle, RateLimiter } from './auth/rate-limiter';
import { MeController } from './auth/me.controller';
import { TenantsController } from './auth/tenants.controller';
import { ChangesController } from './live/changes.controller';
import { ChangesService } from './live/changes.service';
import { OverviewController } from './live/overview.controller';
import { OverviewService } from './live/overview.service';
import { TenantsService } from './auth/tenants.service';
import { HttpErrorFilter } from './common/http-error.filter';
import { SECRET_BOX, SecretBox } from './common/secret-box';
import { APP_CONFIG, AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { ENTITIES } from './database/entities';
import { GenericPlans } from './database/generic-plans';
import { HealthController } from './health/health.controller';
import { INVENTORY_CONTROLLERS } from './inventory/inventory.controller';
import { InventoryService } from './inventory/inventory.service';
import { JobDispatcher } from './jobs/job-dispatcher';
import { MONITORING_CONTROLLERS, MONITORING_PROVIDERS } from './monitoring/monitoring.wiring';
import { GatewayHostsController } from './hosts/gateway-hosts.controller';
import { GatewayHostsService } from './hosts/gateway-hosts.service';
import { GatewayPlacementService } from './hosts/gateway-placement.service';
import { GatewayAlertTemplateController, TunnelAlertTemplateController } from './vpn/alert-bindings.controller';
import { GatewaysController } from './vpn/gateways/gateways.controller';
import { GatewaysService } from './vpn/gateways/gateways.service';
import { PeersController } from './vpn/peers/peers.controller';
import { PeersService } from './vpn/peers/peers.service';
import { TunnelsController } from './vpn/tunnels/tunnels.controller';
import { RemoteConfigController } from './remote-config/remote-config.controller';
import { RouteAgentController } from './routes/route-agent.controller';
import { AgentsAdminController } from './routes/agents-admin.controller';
import { RoutesService } from './routes/routes.service';
import { TunnelsService } from './vpn/tunnels/tunnels.service';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl)), TypeOrmModule.forFeature(ENTITIES)],
      controllers: [
        HealthController,
        MeController,
        ChangesController,
        OverviewController,
        TenantsController,
        ...INVENTORY_CONTROLLERS,
        GatewaysController,
        PeersController,
        TunnelsController,
        RemoteConfigController,
        RouteAgentController,
        AgentsAdminController,
        GatewayHostsController,
        ...ALERT_TEMPLATE_CONTROLLERS,
        GatewayAlertTemplateController,
        TunnelAlertTemplateController,
        ...ALERT_HISTORY_CONTROLLERS,
        ...MONITORING_CONTROLLERS,
        ...BILLING_CONTROLLERS,
        AuditController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SECRET_BOX, useValue: new SecretBox(config.secretsKey) },
        { provide: GenericPlans, useFactory: () => new GenericPlans(config.databaseUrl) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        AuditService,
        RateLimiter,
        AuthThrottle,
        TenantsService,
        ChangesService,
        OverviewService,
        InventoryService,
        JobDispatcher,
        GatewayPlacementService,
        GatewayHostsService,
        GatewaysService,
        PeersService,
        TunnelsService,
        RoutesService,
        ...ALERT_PROVIDERS,
        ...MONITORING_PROVIDERS,
        ...BILLING_PROVIDERS,
      ],
    };
  }
}
