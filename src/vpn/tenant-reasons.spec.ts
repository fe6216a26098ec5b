import { CONFIG_REJECTED_FOR_TENANT, GATEWAY_FAILED_FOR_TENANT, tenantFailureMessage, tenantGatewayReason } from './tenant-reasons';

describe('tenant-facing reasons', () => {
  it('keeps the reasons the API writes itself', () => {
    for (const r of [
      'waiting for a gateway host',
      'renewed: starting again',
      'expired at 2026-01-01T00:00:00.000Z: renew before 2026-01-08T00:00:00.000Z or it is released',
    ]) {
      expect(tenantGatewayReason(r)).toBe(r);
    }
    expect(tenantGatewayReason(null)).toBeNull();
  });

  it("replaces the host's words (namespaces, lab hints) with an actionable sentence", () => {
    expect(tenantGatewayReason("provisioning failed: lab subnet bridge vl-br-1 missing in namespace vl-vpc-a: run 'lab up'")).toBe(GATEWAY_FAILED_FOR_TENANT);
    expect(tenantFailureMessage('config_rejected', 'charon refused the configuration: unable to load /run/vpn/gw-1/swanctl.conf')).toBe(
      CONFIG_REJECTED_FOR_TENANT,
    );
  });

  it('keeps negotiation failures, which are meant for the tenant', () => {
    expect(tenantFailureMessage('phase1_failed', "psk mismatch or id mismatch: check both sides' keys")).toBe(
      "psk mismatch or id mismatch: check both sides' keys",
    );
  });
});
