// Resource and connection states, as the spec names them (docs/spec.md, "States").
export const RESOURCE_STATES = ['creating', 'running', 'deleting', 'error'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

/** A gateway also expires (billing): stopped, kept for the retention period, restored by a renewal. */
export const GATEWAY_STATES = [...RESOURCE_STATES, 'expired'] as const;
export type GatewayState = (typeof GATEWAY_STATES)[number];

export const CONNECTION_STATES = ['connecting', 'connected', 'phase1_failed', 'phase2_failed'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export const CHARGE_TYPES = ['hourly', 'monthly', 'yearly'] as const;
export type ChargeType = (typeof CHARGE_TYPES)[number];
