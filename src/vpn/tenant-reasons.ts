// What a tenant reads about a failure: something it can act on, never the gateway host's
// internals (namespaces, bridges, file paths, "run 'lab up'"). The stored text stays as the
// worker wrote it, for the operator (GET /api/v1/gateway-hosts lists it) and the logs.

// Reasons the API itself writes, safe to show as they are.
const TENANT_SAFE_GATEWAY_REASONS = [/^waiting for a gateway host$/, /^renewed: starting again$/, /^expired at \S+: renew before \S+ or it is released$/];

export const GATEWAY_FAILED_FOR_TENANT = 'the platform could not start this gateway; the operator has been alerted (quote the gateway id to support)';
export const CONFIG_REJECTED_FOR_TENANT =
  "the gateway could not load this tunnel's configuration; the operator has been alerted (quote the tunnel id to support). Editing the tunnel retries";

/** The gateway's state reason as its tenant sees it. */
export function tenantGatewayReason(reason: string | null): string | null {
  if (reason === null) return null;
  return TENANT_SAFE_GATEWAY_REASONS.some((r) => r.test(reason)) ? reason : GATEWAY_FAILED_FOR_TENANT;
}

/** A tunnel failure message as its tenant sees it: configuration refusals come from the host. */
export function tenantFailureMessage(code: string | null, message: string | null): string | null {
  if (message === null) return null;
  return code === 'config_rejected' || /^charon refused the configuration/.test(message) ? CONFIG_REJECTED_FOR_TENANT : message;
}
