// The monitoring module's API side, wired into AppModule (the worker side is collector.ts).
import { MonitoringController } from './monitoring.controller';
import { MonitoringService } from './monitoring.service';
import { PrometheusController } from './prometheus.controller';
import { PrometheusService } from './prometheus.service';

export const MONITORING_CONTROLLERS = [MonitoringController, PrometheusController];
export const MONITORING_PROVIDERS = [MonitoringService, PrometheusService];
