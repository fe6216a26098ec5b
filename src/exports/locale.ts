// The console's two languages and how an export picks one. Pure: no framework imports.

export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'zh';

/** A text in every language of the console. */
export type Localized = Record<Lang, string>;

/** Throws at load when a stored code has no words, so a new state or kind is never exported raw unnoticed. */
export function assertWordsForEveryCode(...pairs: (readonly [readonly string[], Record<string, Localized>])[]): void {
  for (const [codes, words] of pairs) {
    const missing = codes.filter((c) => !(c in words));
    if (missing.length) throw new Error(`export words missing for ${missing.join(', ')}`);
  }
}

/**
 * The language of an export: the explicit `lang` parameter, else the most preferred supported
 * language of an Accept-Language header (q-values honoured, `zh-CN`/`en-US` match by prefix), else zh.
 */
export function resolveLang(lang: string | undefined, acceptLanguage: string | undefined): Lang {
  if (lang && (LANGS as readonly string[]).includes(lang)) return lang as Lang;
  let best: { lang: Lang; q: number } | null = null;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const match = LANGS.find((l) => tag === l || tag.startsWith(`${l}-`));
    // The first of equal q-values wins, as the header lists them in order of preference.
    if (match && (!best || q > best.q)) best = { lang: match, q };
  }
  return best?.lang ?? DEFAULT_LANG;
}
