import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import { Aggregate, AGGREGATES } from './series.queries';
import { MAX_POINTS, MAX_SPAN_DAYS, RANGE_NAMES } from './metrics-window';
import { Optional } from '../common/validators';
import { DEFAULT_GATEWAY_BANDWIDTH_MBPS } from '../vpn/gateways/vpn-gateway.entity';

// The window rules (one form or the other, from < to, 31 days) are checked by resolveWindow
// (metrics-window.ts) so that every broken rule is reported at once; the DTO documents them.
export class MetricsQueryDto {
  @ApiPropertyOptional({ enum: RANGE_NAMES, default: '1h', description: 'A window ending now. Not with from/to.' })
  @Optional()
  @IsString()
  range?: string;

  @ApiPropertyOptional({ format: 'date-time', description: `Start of a custom window (ISO 8601); required with to. At most ${MAX_SPAN_DAYS} days before to.` })
  @Optional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End of a custom window (ISO 8601); default now.' })
  @Optional()
  @IsString()
  to?: string;

  @ApiPropertyOptional({
    enum: AGGREGATES,
    default: 'avg',
    description: 'How rates, health and utilisation are aggregated per bucket: the average, or the peak sample',
  })
  @Optional()
  @IsIn(AGGREGATES)
  agg?: Aggregate;
}

const POINTS = {
  type: 'array',
  items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
  example: [
    [1741608000000, 8123.5],
    [1741608010000, 7950],
  ],
} as const;

const pointsOf = (what: string) => ({
  ...POINTS,
  description: `[bucket start (Unix epoch ms), ${what}]; buckets without samples are left out (a gap: no data)`,
});

export class TunnelSeriesDto {
  @ApiProperty(pointsOf('average inbound bits/s (decrypted, from the remote)')) bpsIn: [number, number][];
  @ApiProperty(pointsOf('average outbound bits/s (to the remote, before encryption)')) bpsOut: [number, number][];
  @ApiProperty(pointsOf('average inbound packets/s')) ppsIn: [number, number][];
  @ApiProperty(pointsOf('average outbound packets/s')) ppsOut: [number, number][];
  @ApiProperty(pointsOf("health: share of the bucket's samples with every CHILD_SA installed, 0..1")) health: [number, number][];
  @ApiProperty(pointsOf('inbound bytes carried since monitoring began (monotonic), at the end of the bucket')) bytesIn: [number, number][];
  @ApiProperty(pointsOf('outbound bytes since monitoring began (monotonic)')) bytesOut: [number, number][];
  @ApiProperty(pointsOf('inbound packets since monitoring began (monotonic)')) packetsIn: [number, number][];
  @ApiProperty(pointsOf('outbound packets since monitoring began (monotonic)')) packetsOut: [number, number][];
}

export class GatewaySeriesDto {
  @ApiProperty(pointsOf('average bits/s received on the external NIC')) rxBps: [number, number][];
  @ApiProperty(pointsOf('average bits/s sent on the external NIC')) txBps: [number, number][];
  @ApiProperty(pointsOf('average packets/s received')) rxPps: [number, number][];
  @ApiProperty(pointsOf('average packets/s sent')) txPps: [number, number][];
  @ApiProperty(pointsOf("average outbound utilisation of the gateway's bandwidth (bandwidthMbps), a fraction")) txUtilization: [number, number][];
  @ApiProperty(pointsOf('bytes received since monitoring began (monotonic)')) rxBytes: [number, number][];
  @ApiProperty(pointsOf('bytes sent since monitoring began (monotonic)')) txBytes: [number, number][];
  @ApiProperty(pointsOf('packets received since monitoring began (monotonic)')) rxPackets: [number, number][];
  @ApiProperty(pointsOf('packets sent since monitoring began (monotonic)')) txPackets: [number, number][];
}

class MetricsWindowDto {
  @ApiProperty({ description: 'Start of the first bucket (the requested start aligned down to a multiple of stepSeconds)' }) from: Date;
  @ApiProperty() to: Date;
  @ApiProperty({ description: `Bucket width; at most ${MAX_POINTS} buckets per series`, example: 10 }) stepSeconds: number;
  @ApiProperty({ enum: AGGREGATES, description: 'The aggregate the rates were computed with (agg)' }) aggregate: Aggregate;
}

export class TunnelMetricsDto extends MetricsWindowDto {
  @ApiProperty() tunnelId: string;
  @ApiProperty({ type: TunnelSeriesDto }) series: TunnelSeriesDto;
}

export class GatewayMetricsDto extends MetricsWindowDto {
  @ApiProperty() gatewayId: string;
  @ApiProperty({ description: "The gateway's bandwidth (Mbit/s), the base of txUtilization", example: DEFAULT_GATEWAY_BANDWIDTH_MBPS })
  bandwidthMbps: number;
  @ApiProperty({ type: GatewaySeriesDto }) series: GatewaySeriesDto;
}
