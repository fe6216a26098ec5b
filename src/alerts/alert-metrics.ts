// What an alert rule can watch and how it compares: the documented metric list, comparators and
// the rule type. Pure: no framework, no I/O.

export type ResourceType = 'gateway' | 'tunnel';

export interface MetricInfo {
  resource: ResourceType;
  description: string;
  /** Allowed threshold range (inclusive); max null = unbounded. */
  min: number;
  max: number | null;
}

/** Every metric a rule may name. Tunnel metrics apply to bound tunnels, gateway metrics to bound gateways. */
export const METRICS = {
  tunnel_health: {
    resource: 'tunnel',
    description: 'tunnel health: 1 when every CHILD_SA is installed (connected) and its last rekey did not fail, else 0',
    min: 0,
    max: 1,
  },
  tunnel_bps_in: { resource: 'tunnel', description: 'tunnel inbound bandwidth, bits/s', min: 0, max: null },
  tunnel_bps_out: { resource: 'tunnel', description: 'tunnel outbound bandwidth, bits/s', min: 0, max: null },
  tunnel_pps_in: { resource: 'tunnel', description: 'tunnel inbound packets/s', min: 0, max: null },
  tunnel_pps_out: { resource: 'tunnel', description: 'tunnel outbound packets/s', min: 0, max: null },
  gateway_rx_bps: { resource: 'gateway', description: 'gateway external NIC receive bandwidth, bits/s', min: 0, max: null },
  gateway_tx_bps: { resource: 'gateway', description: 'gateway external NIC transmit bandwidth, bits/s', min: 0, max: null },
  gateway_rx_pps: { resource: 'gateway', description: 'gateway external NIC receive packets/s', min: 0, max: null },
  gateway_tx_pps: { resource: 'gateway', description: 'gateway external NIC transmit packets/s', min: 0, max: null },
  gateway_tx_utilization: { resource: 'gateway', description: "outbound bandwidth utilisation, a fraction 0..1 of the gateway's bandwidth", min: 0, max: 1 },
  gateway_failovers: {
    resource: 'gateway',
    description:
      "failovers of the gateway in the evaluation period: moves to another gateway host after its host was lost (an operator's drain does not count)",
    min: 0,
    max: null,
  },
} as const satisfies Record<string, MetricInfo>;

export type Metric = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

export const COMPARATORS = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const;
export type Comparator = (typeof COMPARATORS)[number];

const SYMBOL: Record<Comparator, string> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '=', ne: '!=' };

export const MIN_PERIODS = 1;
export const MAX_PERIODS = 60;

/** "metric comparator threshold for N consecutive periods". */
export interface AlertRule {
  metric: Metric;
  comparator: Comparator;
  threshold: number;
  periods: number;
}

/** The rule every tenant's default template holds. */
export const DEFAULT_RULE: AlertRule = { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 };

/** True when the value is on the alerting side of the threshold. */
export function breaches(value: number, rule: Pick<AlertRule, 'comparator' | 'threshold'>): boolean {
  switch (rule.comparator) {
    case 'lt':
      return value < rule.threshold;
    case 'le':
      return value <= rule.threshold;
    case 'gt':
      return value > rule.threshold;
    case 'ge':
      return value >= rule.threshold;
    case 'eq':
      return value === rule.threshold;
    case 'ne':
      return value !== rule.threshold;
  }
}

/**
 * A rule's identity inside its template: its content. An unchanged rule keeps its alert state
 * across template edits; a changed rule is a new rule (its old state is cleared).
 */
export function ruleKey(rule: AlertRule): string {
  return `${rule.metric}:${rule.comparator}:${rule.threshold}:${rule.periods}`;
}

export function describeRule(rule: AlertRule): string {
  const periods = rule.periods === 1 ? '1 period' : `${rule.periods} consecutive periods`;
  return `${rule.metric} ${SYMBOL[rule.comparator]} ${rule.threshold} for ${periods}`;
}

export function metricsOf(resource: ResourceType): Metric[] {
  return METRIC_NAMES.filter((m) => METRICS[m].resource === resource);
}
