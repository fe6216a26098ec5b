import { AlertFacts, alertMessage, webhookBody } from './alert-messages';

const facts: AlertFacts = {
  id: 'alert-1',
  tenantId: 'tenant-1',
  template: { id: 'alt-1', name: 'pager' },
  rule: { metric: 'tunnel_health', comparator: 'lt', threshold: 1, periods: 3 },
  resource: { type: 'tunnel', id: 'vpntnl-1', name: 'to-idc' },
  value: 0,
  firedAt: new Date('2026-01-01T00:00:30Z'),
  resolvedAt: null,
};

describe('alert messages', () => {
  it('say what, which resource, which rule and the value', () => {
    expect(alertMessage('firing', facts)).toBe('[firing] VPN tunnel to-idc (vpntnl-1): tunnel_health < 1 for 3 consecutive periods (value 0)');
    expect(alertMessage('resolved', { ...facts, value: 1 })).toBe(
      '[resolved] VPN tunnel to-idc (vpntnl-1): tunnel_health < 1 for 3 consecutive periods no longer holds (value 1)',
    );
    expect(alertMessage('firing', { ...facts, resource: { type: 'gateway', id: 'vpngw-1', name: 'x'.repeat(600) } })).toHaveLength(512);
  });

  it('the webhook body: event, delivery id, tenant, template and the alert with its rule, resource, value and times', () => {
    const body = JSON.parse(
      webhookBody('resolved', 'dlv-1', { ...facts, value: 1, resolvedAt: new Date('2026-01-01T00:01:00Z') }, new Date('2026-01-01T00:01:00Z')),
    );
    expect(body).toEqual({
      event: 'resolved',
      deliveryId: 'dlv-1',
      tenantId: 'tenant-1',
      createdAt: '2026-01-01T00:01:00.000Z',
      template: { id: 'alt-1', name: 'pager' },
      alert: {
        id: 'alert-1',
        state: 'resolved',
        metric: 'tunnel_health',
        comparator: 'lt',
        threshold: 1,
        periods: 3,
        resource: { type: 'tunnel', id: 'vpntnl-1', name: 'to-idc' },
        value: 1,
        firedAt: '2026-01-01T00:00:30.000Z',
        resolvedAt: '2026-01-01T00:01:00.000Z',
      },
      message: expect.stringContaining('[resolved]'),
    });
  });
});
