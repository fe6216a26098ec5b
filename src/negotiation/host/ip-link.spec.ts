import { ownAddresses } from './ip-link';

describe('ownAddresses', () => {
  it("keeps the link's own IPv4 addresses and leaves labelled ones (the subnet anchors) to their owner", () => {
    expect(
      ownAddresses({
        ifindex: 3,
        ifname: 'eth1',
        addr_info: [
          { family: 'inet', local: '10.1.1.250', prefixlen: 24, label: 'eth1' },
          { family: 'inet', local: '10.1.2.0', prefixlen: 32, label: 'eth1:t' },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
          { family: 'inet', local: '10.1.3.1', prefixlen: 24 },
        ],
      }),
    ).toEqual(['10.1.1.250/24', '10.1.3.1/24']);
  });
});
