import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import en from '../../i18n/en.json';
import zh from '../../i18n/zh.json';
import { agentWhy } from './agentWhy';

const base = { tokenIssued: true, lastCheckInAt: '2026-12-05T10:00:00Z', lastError: null, appliedVersion: 'v1', desiredVersion: 'v2' };

async function tr(lng: 'zh' | 'en') {
  const i = i18next.createInstance();
  await i.init({ resources: { en: { translation: en }, zh: { translation: zh } }, lng, interpolation: { escapeValue: false } });
  return i.t;
}

describe('agentWhy: an agent that is not up to date says why, most basic cause first', () => {
  it('no token, never checked in, an apply error, else the versions it holds and wants', async () => {
    const t = await tr('en');
    expect(agentWhy({ ...base, tokenIssued: false, lastCheckInAt: null }, t)).toBe('No token issued: the agent was never registered');
    expect(agentWhy({ ...base, lastCheckInAt: null }, t)).toBe('Never checked in');
    expect(agentWhy({ ...base, lastError: 'RTNETLINK answers: Network is unreachable' }, t)).toBe('Failed to apply: RTNETLINK answers: Network is unreachable');
    expect(agentWhy(base, t)).toMatch(/^Holds route set v1, current set v2; last check-in 2026-12-05 \d\d:00:00$/);
  });

  it('in Chinese too', async () => {
    const t = await tr('zh');
    expect(agentWhy({ ...base, lastCheckInAt: null }, t)).toBe('从未签到');
    expect(agentWhy(base, t)).toContain('上次签到');
  });
});
