import { parseBatchErrors } from './ip-route';

describe('parseBatchErrors', () => {
  it('blames each failed line with the message ip printed before its "Command failed"', () => {
    // What `ip -force -batch -` printed for: bad next hop, ok, device down, ok, missing route.
    const stderr = [
      'Error: Nexthop has invalid gateway.',
      'Command failed -:1',
      'Error: Device for nexthop is not up.',
      'Command failed -:3',
      'RTNETLINK answers: No such process',
      'Command failed -:5',
      '',
    ].join('\n');
    expect(parseBatchErrors(stderr, 5)).toEqual([
      'Error: Nexthop has invalid gateway.',
      null,
      'Error: Device for nexthop is not up.',
      null,
      'RTNETLINK answers: No such process',
    ]);
  });

  it('reads an empty stderr as every line applied, and ignores line numbers it did not send', () => {
    expect(parseBatchErrors('', 3)).toEqual([null, null, null]);
    expect(parseBatchErrors('Error: x\nCommand failed -:9\n', 2)).toEqual([null, null]);
  });
});
