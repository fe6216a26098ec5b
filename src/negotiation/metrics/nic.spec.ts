import { parseLinkStats } from './nic';

const SAMPLE = JSON.stringify([
  { ifindex: 2, ifname: 'eth0', mtu: 1500, stats64: { rx: { bytes: 5070, packets: 26, errors: 0 }, tx: { bytes: 9000, packets: 31, errors: 0 } } },
]);

describe('parseLinkStats', () => {
  it('reads rx as in and tx as out', () => {
    expect(parseLinkStats(SAMPLE, 'eth0')).toEqual({ bytesIn: 5070, packetsIn: 26, bytesOut: 9000, packetsOut: 31 });
  });

  it('refuses an answer without the interface or its counters', () => {
    expect(() => parseLinkStats(SAMPLE, 'eth1')).toThrow(/no counters for eth1/);
    expect(() => parseLinkStats(JSON.stringify([{ ifname: 'eth0' }]), 'eth0')).toThrow();
    expect(() => parseLinkStats('{}', 'eth0')).toThrow();
  });
});
