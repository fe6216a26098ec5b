// The monitoring feature's API side, spread into AppModule (the worker side is negotiation/metrics/collector.ts).
import { MonitoringController } from './monitoring.controller';
import { MonitoringService } from './monitoring.service';
import { PrometheusController } from './prometheus.controller';
import { PrometheusService } from './prometheus.service';

export const MONITORING_CONTROLLERS = [MonitoringController, PrometheusController];
export const MONITORING_PROVIDERS = [MonitoringService, PrometheusService];
