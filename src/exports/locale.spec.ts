import { resolveLang } from './locale';

describe('resolveLang', () => {
  it('takes an explicit lang over the header', () => {
    expect(resolveLang('en', 'zh-CN,zh;q=0.9')).toBe('en');
    expect(resolveLang('zh', 'en-US')).toBe('zh');
  });

  it('defaults to zh without a usable header', () => {
    expect(resolveLang(undefined, undefined)).toBe('zh');
    expect(resolveLang(undefined, '')).toBe('zh');
    expect(resolveLang(undefined, 'fr-FR,de;q=0.8')).toBe('zh');
    expect(resolveLang(undefined, '*')).toBe('zh');
  });

  it('matches language tags by prefix, case-insensitively', () => {
    expect(resolveLang(undefined, 'en-US')).toBe('en');
    expect(resolveLang(undefined, 'EN-gb')).toBe('en');
    expect(resolveLang(undefined, 'zh-Hans-CN')).toBe('zh');
    // "english" is not the tag "en".
    expect(resolveLang(undefined, 'english')).toBe('zh');
  });

  it('honours q-values and ignores q=0', () => {
    expect(resolveLang(undefined, 'zh-CN;q=0.5, en;q=0.9')).toBe('en');
    expect(resolveLang(undefined, 'fr, en;q=0.3, zh;q=0.7')).toBe('zh');
    expect(resolveLang(undefined, 'en;q=0, zh;q=0.1')).toBe('zh');
    expect(resolveLang(undefined, 'zh;q=0, en;q=0.1')).toBe('en');
  });

  it('keeps the first of equal preferences', () => {
    expect(resolveLang(undefined, 'en-US,zh-CN')).toBe('en');
    expect(resolveLang(undefined, 'zh-CN,en-US')).toBe('zh');
  });
});
