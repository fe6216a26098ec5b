// The route agents report `ip`'s own words ("RTNETLINK answers: Network is unreachable"); the
// console shows a code's sentence in the page's language instead, the raw text on hover.
export const PUSH_ERROR_CODES = ['network_unreachable', 'invalid_gateway', 'route_exists', 'no_device', 'not_permitted', 'no_such_process', 'unknown'] as const;
export type PushErrorCode = (typeof PUSH_ERROR_CODES)[number];

const PATTERNS: [PushErrorCode, RegExp][] = [
  ['network_unreachable', /network is unreachable/i],
  ['invalid_gateway', /invalid gateway|nexthop has invalid/i],
  ['route_exists', /file exists/i],
  ['no_device', /no such device|cannot find device/i],
  ['not_permitted', /operation not permitted|permission denied/i],
  ['no_such_process', /no such process/i],
];

export function pushErrorCode(message: string): PushErrorCode {
  return PATTERNS.find(([, re]) => re.test(message))?.[0] ?? 'unknown';
}
