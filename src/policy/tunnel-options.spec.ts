import { charonOptionsChanged, checkTunnelOptions, DEFAULT_TUNNEL_OPTIONS, tunnelOptionsOf } from './tunnel-options';
import { checkOptionsEdit } from '../vpn/tunnels/tunnel-rules';
import { dpdActionOf, renderLoadConn } from '../strongswan/vici-conn';
import { tunnel } from '../strongswan/__golden__/cases';

describe('tunnel options (issue 16)', () => {
  it("defaults: the seed's 8 s / 13 s, restart, fragmentation on, no clamp", () => {
    expect(checkTunnelOptions({})).toEqual({
      ok: true,
      value: { dpd: { delaySeconds: 8, timeoutSeconds: 13, action: 'restart' }, ikeFragmentation: true, tcpMssClamp: null },
    });
    // Rows older than the columns read as the defaults.
    expect(tunnelOptionsOf({ dpd: null, ikeFragmentation: true, tcpMssClamp: null })).toEqual(DEFAULT_TUNNEL_OPTIONS);
  });

  it('merges a partial dpd over the current values and keeps what is left out', () => {
    const current = { dpd: { delaySeconds: 20, timeoutSeconds: 60, action: 'hold' as const }, ikeFragmentation: false, tcpMssClamp: 1360 };
    expect(checkTunnelOptions({ dpd: { delaySeconds: 30 } }, current)).toEqual({ ok: true, value: { ...current, dpd: { ...current.dpd, delaySeconds: 30 } } });
    expect(checkTunnelOptions({ tcpMssClamp: null }, current)).toEqual({ ok: true, value: { ...current, tcpMssClamp: null } });
  });

  it.each([
    [{ dpd: { delaySeconds: 1 } }, 'dpd.delaySeconds', 'integer_2_to_300'],
    [{ dpd: { delaySeconds: 2.5 } }, 'dpd.delaySeconds', 'integer_2_to_300'],
    [{ dpd: { timeoutSeconds: 3601 } }, 'dpd.timeoutSeconds', 'integer_3_to_3600'],
    [{ dpd: { timeoutSeconds: 8 } }, 'dpd.timeoutSeconds', 'timeout_greater_than_delay'],
    [{ dpd: { delaySeconds: 13 } }, 'dpd.delaySeconds', 'timeout_greater_than_delay'],
    [{ dpd: { action: 'none' } }, 'dpd.action', 'one_of'],
    [{ dpd: { interval: 5 } }, 'dpd.interval', 'unknown_field'],
    [{ dpd: 'fast' }, 'dpd', 'object'],
    [{ dpd: null }, 'dpd', 'object'],
    [{ ikeFragmentation: 'yes' }, 'ikeFragmentation', 'boolean'],
    [{ tcpMssClamp: 535 }, 'tcpMssClamp', 'integer_536_to_1460'],
    [{ tcpMssClamp: 1461 }, 'tcpMssClamp', 'integer_536_to_1460'],
    [{ tcpMssClamp: '1360' }, 'tcpMssClamp', 'integer_536_to_1460'],
  ])('refuses %j naming %s (%s)', (input, field, rule) => {
    const checked = checkTunnelOptions(input);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.violations).toEqual([expect.objectContaining({ field, rule })]);
  });

  it("an options edit reconnects only when charon's configuration changes", () => {
    const stored = { initiatorMode: 'bidirectional' as const, dpd: null, ikeFragmentation: true, tcpMssClamp: null };
    const mssOnly = checkOptionsEdit({ tcpMssClamp: 1300 }, stored, '203.0.113.20');
    expect(mssOnly).toEqual({ ok: true, value: { reconnect: false, patch: expect.objectContaining({ tcpMssClamp: 1300, initiatorMode: 'bidirectional' }) } });
    expect(checkOptionsEdit({ dpd: { action: 'clear' } }, stored, '203.0.113.20')).toMatchObject({ ok: true, value: { reconnect: true } });
    expect(checkOptionsEdit({ ikeFragmentation: false }, stored, '203.0.113.20')).toMatchObject({ ok: true, value: { reconnect: true } });
    // The stored values again: no change at all.
    expect(checkOptionsEdit({ dpd: { delaySeconds: 8 }, ikeFragmentation: true }, stored, '203.0.113.20')).toMatchObject({
      ok: true,
      value: { reconnect: false },
    });
    expect(charonOptionsChanged(DEFAULT_TUNNEL_OPTIONS, { ...DEFAULT_TUNNEL_OPTIONS, tcpMssClamp: 1400 })).toBe(false);
    // Both kinds of problem at once, each named.
    const bad = checkOptionsEdit({ initiatorMode: 'passive', tcpMssClamp: 10 }, stored, '203.0.113.20');
    expect(bad.ok || bad.violations.map((v) => v.field)).toEqual(['initiatorMode', 'tcpMssClamp']);
  });

  it("renders charon's dpd_action: the worker restarts (charon clears), hold is a trap, a tunnel the platform cannot initiate only clears", () => {
    const withAction = (action: 'clear' | 'hold' | 'restart', over = {}) =>
      tunnel({ ...over, options: { ...DEFAULT_TUNNEL_OPTIONS, dpd: { ...DEFAULT_TUNNEL_OPTIONS.dpd, action } } });
    expect(dpdActionOf(withAction('restart'), {})).toBe('clear');
    expect(dpdActionOf(withAction('restart'), { autoStart: true })).toBe('restart');
    expect(dpdActionOf(withAction('hold'), {})).toBe('trap');
    expect(dpdActionOf(withAction('clear'), { autoStart: true })).toBe('clear');
    expect(dpdActionOf(withAction('hold', { initiatorMode: 'response-only' }), {})).toBe('clear');
    const conn = renderLoadConn(
      tunnel({
        ike: { version: 'v1', exchangeMode: 'main' },
        options: { dpd: { delaySeconds: 3, timeoutSeconds: 10, action: 'restart' }, ikeFragmentation: false, tcpMssClamp: null },
      }),
    );
    expect(conn['ipsvpn_vpntnl-k3j9x2ab']).toMatchObject({ dpd_delay: '3s', dpd_timeout: '10s', fragmentation: 'no' });
  });
});
