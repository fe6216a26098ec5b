import { pushErrorCode } from './push-errors';

describe('route agent error codes', () => {
  it.each([
    ['RTNETLINK answers: Network is unreachable', 'network_unreachable'],
    ['Error: Nexthop has invalid gateway.', 'invalid_gateway'],
    ['RTNETLINK answers: File exists', 'route_exists'],
    ['Cannot find device "eth9"', 'no_device'],
    ['RTNETLINK answers: Operation not permitted', 'not_permitted'],
    ['RTNETLINK answers: No such process', 'no_such_process'],
    ['something new', 'unknown'],
  ])('%s -> %s', (message, code) => {
    expect(pushErrorCode(message)).toBe(code);
  });
});
