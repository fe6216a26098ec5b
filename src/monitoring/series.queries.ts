// The chart queries: one resource's samples in a window, aggregated into buckets aligned on the
// epoch. The primary key (id, at) serves the range; bench/metrics.ts times the same statements.
import type { GatewaySeriesDto, TunnelSeriesDto } from './metrics.dto';

// Series -> SQL aggregate over a bucket. Rates and health are averaged (health becomes the share
// of the bucket's samples that were up); counters are monotonic totals, so max = the bucket's last.
export const TUNNEL_SERIES = {
  bpsIn: 'avg(bps_in)',
  bpsOut: 'avg(bps_out)',
  ppsIn: 'avg(pps_in)',
  ppsOut: 'avg(pps_out)',
  health: 'avg(health)',
  bytesIn: 'max(bytes_in)',
  bytesOut: 'max(bytes_out)',
  packetsIn: 'max(packets_in)',
  packetsOut: 'max(packets_out)',
} satisfies Record<keyof TunnelSeriesDto, string>;

export const GATEWAY_SERIES = {
  rxBps: 'avg(rx_bps)',
  txBps: 'avg(tx_bps)',
  rxPps: 'avg(rx_pps)',
  txPps: 'avg(tx_pps)',
  txUtilization: 'avg(tx_utilization)',
  rxBytes: 'max(rx_bytes)',
  txBytes: 'max(tx_bytes)',
  rxPackets: 'max(rx_packets)',
  txPackets: 'max(tx_packets)',
} satisfies Record<keyof GatewaySeriesDto, string>;

export const AGGREGATES = ['avg', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/**
 * Parameters: $1 resource id, $2 bucket seconds, $3 from, $4 to. Rows: ts (epoch ms) and one column per series.
 * `max` turns the averaged series (rates, health, utilisation) into each bucket's peak sample: a
 * burst that an average over 4 minutes flattens stays visible. Counters are the bucket's last either way.
 */
export function seriesSqlFor(resource: 'tunnel' | 'gateway', aggregate: Aggregate = 'avg'): string {
  const [table, key, series] = resource === 'tunnel' ? ['tunnel_samples', 'tunnel_id', TUNNEL_SERIES] : ['gateway_samples', 'gateway_id', GATEWAY_SERIES];
  const cols = Object.entries(series)
    .map(([name, agg]) => `${aggregate === 'max' ? agg.replace(/^avg\(/, 'max(') : agg}::float8 AS "${name}"`)
    .join(', ');
  return `SELECT (extract(epoch FROM date_bin(make_interval(secs => $2), at, 'epoch'::timestamptz)) * 1000)::float8 AS ts, ${cols}
            FROM ${table} WHERE ${key} = $1 AND at >= $3 AND at <= $4
           GROUP BY 1 ORDER BY 1`;
}
