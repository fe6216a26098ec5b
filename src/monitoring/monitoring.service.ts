import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ValidationFailed } from '../common/errors';
import { GatewaysService } from '../vpn/gateways/gateways.service';
import { TunnelsService } from '../vpn/tunnels/tunnels.service';
import { GatewayMetricsDto, GatewaySeriesDto, MetricsQueryDto, TunnelMetricsDto, TunnelSeriesDto } from './metrics.dto';
import { MetricsWindow, resolveWindow } from './metrics-window';
import { MonitoringQueries } from './monitoring.queries';
import { GATEWAY_SERIES, seriesSqlFor, TUNNEL_SERIES } from './series.queries';
import type { Aggregate } from './series.queries';

type Point = [number, number];

const TUNNEL_SQL = { avg: seriesSqlFor('tunnel', 'avg'), max: seriesSqlFor('tunnel', 'max') } satisfies Record<Aggregate, string>;
const GATEWAY_SQL = { avg: seriesSqlFor('gateway', 'avg'), max: seriesSqlFor('gateway', 'max') } satisfies Record<Aggregate, string>;

@Injectable()
export class MonitoringService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly gateways: GatewaysService,
    private readonly tunnels: TunnelsService,
  ) {}

  async tunnelMetrics(tenantId: string, id: string, query: MetricsQueryDto): Promise<TunnelMetricsDto> {
    const w = this.window(query);
    await this.tunnels.get(tenantId, id); // 404 for another tenant's or a missing tunnel
    const aggregate = query.agg ?? 'avg';
    const series = await this.series(TUNNEL_SQL[aggregate], Object.keys(TUNNEL_SERIES), id, w);
    return { tunnelId: id, ...w, aggregate, series: series as unknown as TunnelSeriesDto };
  }

  async gatewayMetrics(tenantId: string, id: string, query: MetricsQueryDto): Promise<GatewayMetricsDto> {
    const w = this.window(query);
    const gateway = await this.gateways.get(tenantId, id);
    const aggregate = query.agg ?? 'avg';
    const series = await this.series(GATEWAY_SQL[aggregate], Object.keys(GATEWAY_SERIES), id, w);
    return { gatewayId: id, bandwidthMbps: gateway.bandwidthMbps, ...w, aggregate, series: series as unknown as GatewaySeriesDto };
  }

  private window(query: MetricsQueryDto): MetricsWindow {
    const w = resolveWindow(query, new Date());
    if (!w.ok) throw new ValidationFailed(w.violations);
    return w.value;
  }

  private async series(sql: string, names: string[], id: string, w: MetricsWindow): Promise<Record<string, Point[]>> {
    const rows = await new MonitoringQueries(this.db).series(sql, id, w);
    const out: Record<string, Point[]> = {};
    for (const name of names) out[name] = rows.map((r) => [r.ts, r[name]]);
    return out;
  }
}
