import { renderMssClampScript } from './mss-clamp';

describe('MSS clamp nft script', () => {
  it('clamps SYNs both ways per remote subnet, only downwards, each rule named by its tunnel', () => {
    const script = renderMssClampScript([{ tunnelId: 'vpntnl-a1', remoteCidrs: ['10.23.0.0/16', '10.25.0.0/16'], mss: 1300 }]);
    expect(script).toContain('type filter hook forward priority mangle; policy accept;');
    expect(script).toContain(
      'ip daddr 10.23.0.0/16 tcp flags & (syn | rst) == syn tcp option maxseg size > 1300 tcp option maxseg size set 1300 comment "vpntnl-a1"',
    );
    expect(script).toContain(
      'ip saddr 10.25.0.0/16 tcp flags & (syn | rst) == syn tcp option maxseg size > 1300 tcp option maxseg size set 1300 comment "vpntnl-a1"',
    );
    expect(script.match(/maxseg size set/g)).toHaveLength(4);
  });

  it('no clamp: the table is removed (and the script works whether it exists or not)', () => {
    expect(renderMssClampScript([])).toBe('table inet vpn_mss\ndelete table inet vpn_mss\n');
  });

  it('refuses what could break out of the script', () => {
    expect(() => renderMssClampScript([{ tunnelId: 'x"; flush ruleset', remoteCidrs: ['10.0.0.0/8'], mss: 1300 }])).toThrow(/invalid MSS clamp/);
    expect(() => renderMssClampScript([{ tunnelId: 'vpntnl-a1', remoteCidrs: ['10.0.0.0/8 accept'], mss: 1300 }])).toThrow(/invalid CIDR/);
  });
});
