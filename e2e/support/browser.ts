// Headless Chromium for the console's browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (which never downloads a browser), a logged-in page, screenshots under
// artifacts/screenshots/ and downloads through the page's own buttons. close() is safe to call
// after a failure and closes everything that was opened.
import { mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { Browser, BrowserContext, chromium, Download, Locator, Page } from 'playwright-core';
// The console's own flattening (web/src/i18n/keys.ts), the one its catalogue test uses.
import { flatten } from '../../web/src/i18n/keys';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ROOT = join(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');

export type Lang = 'zh' | 'en';
/** What the console keeps: the API key and role in sessionStorage, the language in localStorage (web/src/auth.ts, web/src/i18n). */
export const STORAGE = { apiKey: 'vpnConsole.apiKey', role: 'vpnConsole.role', lang: 'vpnConsole.lang' };

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: tests run as root; --disable-dev-shm-usage: small /dev/shm in containers.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface SessionOptions {
  baseUrl: string;
  lang?: Lang;
  viewport?: { width: number; height: number };
}

export class ConsoleBrowser {
  browser: Browser | null = null;
  context: BrowserContext | null = null;
  page!: Page;
  /** Uncaught exceptions in the page (a test asserts there are none). */
  readonly pageErrors: string[] = [];
  /** What the browser refused under the page's Content-Security-Policy (issue 14). */
  readonly cspViolations: string[] = [];
  /** Console errors and failed requests (status >= 400), for failure messages. */
  readonly errors: string[] = [];
  private reported = 0;

  constructor(private readonly o: SessionOptions) {}

  async open(): Promise<Page> {
    this.browser = await launchChromium();
    this.context = await this.browser.newContext({
      baseURL: this.o.baseUrl,
      viewport: this.o.viewport ?? { width: 1440, height: 900 },
      acceptDownloads: true,
      locale: this.o.lang === 'zh' ? 'zh-CN' : 'en-US',
    });
    this.context.setDefaultTimeout(15_000);
    if (this.o.lang) {
      await this.context.addInitScript(
        ([k, v]) => {
          if (!(globalThis as any).localStorage.getItem(k)) (globalThis as any).localStorage.setItem(k, v);
        },
        [STORAGE.lang, this.o.lang] as const,
      );
    }
    this.page = await this.context.newPage();
    this.page.on('pageerror', (e) => {
      this.pageErrors.push(`${this.page.url()}: ${e.message}`);
      this.errors.push(`pageerror: ${e.message}`);
    });
    this.page.on('console', (m) => {
      // Failed requests are logged with their URL below instead.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) this.errors.push(`console: ${m.text()}`);
      if (/Content Security Policy|Refused to (load|execute|apply|connect|frame|evaluate)/i.test(m.text()))
        this.cspViolations.push(`${this.page.url()}: ${m.text()}`);
    });
    this.page.on('response', (r) => {
      if (r.status() >= 400) this.errors.push(`${r.status()} ${r.request().method()} ${r.url().replace(this.o.baseUrl, '')}`);
    });
    return this.page;
  }

  /** Logs in through the login page, as a person would: the API key into the form, then submit. */
  async login(apiKey: string): Promise<void> {
    const page = this.page;
    await page.goto('/login');
    await page.getByTestId('api-key-input').fill(apiKey);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 15_000, waitUntil: 'commit' });
  }

  /** Skips the form: the session the login page would have stored (for pages tested after the login test). */
  async presetSession(apiKey: string, role: 'tenant' | 'operator'): Promise<void> {
    await this.context!.addInitScript(
      ([k, r, keyName, roleName]) => {
        const s = (globalThis as any).sessionStorage;
        if (!s.getItem(keyName)) {
          s.setItem(keyName, k);
          s.setItem(roleName, r);
        }
      },
      [apiKey, role, STORAGE.apiKey, STORAGE.role] as const,
    );
  }

  /** Switches the language with the header's switch (a segmented 中文 | EN control; the choice is kept in localStorage). */
  async switchLanguage(lang: Lang): Promise<void> {
    const page = this.page;
    const current = await page.evaluate((k) => (globalThis as any).localStorage.getItem(k), STORAGE.lang).catch(() => null);
    if (current === lang && (await page.getByTestId('lang-switch').count()) === 0) return;
    await page
      .getByTestId('lang-switch')
      .first()
      .getByText(lang === 'zh' ? '中文' : 'EN', { exact: true })
      .click();
    await page.waitForFunction(([k, l]) => (globalThis as any).localStorage.getItem(k) === l, [STORAGE.lang, lang] as const);
    await page.waitForFunction((l) => (globalThis as any).document.documentElement.lang === (l === 'zh' ? 'zh-CN' : 'en'), lang);
  }

  /** A full-page PNG in artifacts/screenshots/<name>.png (gitignored); returns the path. */
  async screenshot(name: string, target: Page | Locator = this.page): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    if ('goto' in target) await target.screenshot({ path, fullPage: true, animations: 'disabled' });
    else await target.screenshot({ path, animations: 'disabled' });
    return path;
  }

  /** Clicks what starts a download and returns the saved file (Playwright's download event). */
  async download(click: () => Promise<unknown>, saveAs: string): Promise<{ download: Download; path: string; body: Buffer; filename: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 20_000 }), click()]);
    const failure = await download.failure();
    if (failure) throw new Error(`download failed: ${failure}`);
    await download.saveAs(saveAs);
    return { download, path: saveAs, body: readFileSync(saveAs), filename: download.suggestedFilename() };
  }

  /** Errors recorded since the last call (for a test's output). */
  newErrors(): string[] {
    const out = this.errors.slice(this.reported);
    this.reported = this.errors.length;
    return out;
  }

  /** Visible text of the page's body (what a person reads; hidden elements excluded). */
  async visibleText(): Promise<string> {
    return this.page.locator('body').innerText();
  }

  async close(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    await this.browser?.close().catch(() => undefined);
    this.context = null;
    this.browser = null;
  }
}

/** Resolves when the element's finite CSS animations and transitions (its own and inside it) end. */
async function settled(el: Locator): Promise<void> {
  // (Runs in the page; the tests compile without the DOM library, hence the local type.)
  type Animated = { getAnimations(o: { subtree: boolean }): { effect: { getTiming(): { iterations?: number } } | null; finished: Promise<unknown> }[] };
  await el
    .evaluate((node) =>
      Promise.all(
        (node as unknown as Animated)
          .getAnimations({ subtree: true })
          .filter((a) => a.effect?.getTiming().iterations !== Infinity)
          .map((a) => a.finished.catch(() => undefined)),
      ),
    )
    .catch(() => undefined);
}

/**
 * Picks an option of an antd Select by its visible label: opens the select named by its
 * data-testid, clicks the first matching option of the open dropdown (multiple: closes it after).
 */
export async function pickOption(page: Page, testId: string, label: string | RegExp, o: { multiple?: boolean; scope?: Locator } = {}): Promise<void> {
  const select = (o.scope ?? page).getByTestId(testId).first();
  // A modal still zooming in moves its selects, and the dropdown follows a moment later: a click
  // computed meanwhile can land on the neighbouring option (seen once: aes128 for aes256).
  if (o.scope) await settled(o.scope);
  await select.click();
  const dropdown = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').last();
  const option = dropdown.locator('.ant-select-item-option:not(.ant-select-item-option-disabled)', { hasText: label }).first();
  try {
    await option.waitFor({ timeout: 10_000 });
    await settled(dropdown);
    await option.click({ timeout: 10_000 });
  } catch (err) {
    const offered = await dropdown
      .locator('.ant-select-item-option')
      .allInnerTexts()
      .catch(() => []);
    throw new Error(`no option ${label} in select ${testId} (offered: ${offered.join(' | ') || 'none'}): ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  if (o.multiple) await page.keyboard.press('Escape');
  else {
    // The select shows the choice (and not a stale value a re-render put back).
    const want = typeof label === 'string' ? label : null;
    const shown = await select.innerText().catch(() => '');
    if (want ? !shown.includes(want) : !shown.split('\n').some((l) => (label as RegExp).test(l.trim()))) {
      throw new Error(`select ${testId} shows "${shown}" after picking ${label}`);
    }
  }
}

/** Waits until nothing on the page is loading (antd spinners gone) and animations have ended. */
export async function settle(page: Page): Promise<void> {
  await page
    .waitForFunction(() => !(globalThis as any).document.querySelector('.ant-spin-spinning, .ant-skeleton-active, .ant-btn-loading'), undefined, {
      timeout: 15_000,
    })
    .catch(() => undefined);
  await page.waitForTimeout(300);
}

/**
 * What a person reads on the page: the visible text plus placeholders and titles (tooltips) of
 * visible elements. Not aria-labels: antd hard-codes some in English (a table's "Select all").
 */
export async function visibleStrings(page: Page): Promise<string> {
  const text = await page.locator('body').innerText();
  const attrs = await page.evaluate(() => {
    const d = (globalThis as any).document;
    const out: string[] = [];
    for (const el of d.querySelectorAll('[placeholder], [title]')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      for (const a of ['placeholder', 'title']) {
        const v = el.getAttribute(a);
        if (v) out.push(v);
      }
    }
    return out;
  });
  return `${text}\n${attrs.join('\n')}`;
}

export type Catalogue = Record<string, string>;

/** The console's message catalogues (web/src/i18n/{en,zh}.json), flattened to dotted keys. */
export function catalogues(): { en: Catalogue; zh: Catalogue } {
  const read = (lang: Lang) => Object.fromEntries(flatten(JSON.parse(readFileSync(join(ROOT, 'web', 'src', 'i18n', `${lang}.json`), 'utf8'))));
  return { en: read('en'), zh: read('zh') };
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
/** The language switch shows both languages' names by design. */
const SWITCH_LABELS = ['中文', 'EN'];
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** English fragments of the en catalogue that a zh page must not show (words the zh catalogue never uses). */
function englishFragments(cat: { en: Catalogue; zh: Catalogue }): { key: string; re: RegExp; text: string }[] {
  const zhValues = Object.values(cat.zh).join('\n');
  const out: { key: string; re: RegExp; text: string }[] = [];
  for (const [key, en] of Object.entries(cat.en)) {
    if (cat.zh[key] === en) continue; // the same in both (IKE, IPsec, AES-128 …)
    for (const raw of en.split(/\{\{[^}]*\}\}|<[^>]*>/)) {
      const text = raw.trim().replace(/^[^A-Za-z]+|[^A-Za-z.)]+$/g, '');
      // Words, not symbols or units: at least one word of 3+ letters, and not used by zh itself.
      if (!/[A-Za-z]{3,}/.test(text) || zhValues.includes(text)) continue;
      out.push({ key, text, re: new RegExp(`(^|[^A-Za-z])${escapeRe(text)}([^A-Za-z]|$)`, 'm') });
    }
  }
  return out;
}

/**
 * What is wrong with a page's strings in `lang`: raw message keys (namespace.key of the catalogue),
 * and words of the other language (en: any Chinese character; zh: any English phrase of the en
 * catalogue that the zh catalogue does not share). `data`: stored strings to ignore.
 */
export function languageProblems(text: string, lang: Lang, cat: { en: Catalogue; zh: Catalogue }, data: string[] = []): string[] {
  const problems: string[] = [];
  // Stored data (names, descriptions the tenant or the API wrote) is shown as stored, in any language.
  for (const d of [...data].filter(Boolean).sort((a, b) => b.length - a.length)) text = text.split(d).join(' ');
  const namespaces = [...new Set(Object.keys(cat.en).map((k) => k.split('.')[0]))];
  const keyRe = new RegExp(`(?<![A-Za-z0-9_.-])(?:${namespaces.map(escapeRe).join('|')})\\.[A-Za-z0-9_]+(?:\\.[A-Za-z0-9_]+)*`, 'g');
  for (const m of text.matchAll(keyRe)) problems.push(`raw message key "${m[0]}"`);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !SWITCH_LABELS.includes(l));
  if (lang === 'en') {
    for (const l of lines) if (HAN.test(l.replace(/中文/g, ''))) problems.push(`Chinese text on the English page: "${l.slice(0, 80)}"`);
  } else {
    const cleaned = lines.map((l) => l.replace(/\bEN\b/g, ''));
    for (const f of englishFragments(cat)) {
      const where = cleaned.find((l) => f.re.test(l));
      if (where !== undefined) problems.push(`English "${f.text}" (en: ${f.key}) on the Chinese page, in "${where.slice(0, 100)}"`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Words of Latin letters a zh page may show: every one the zh catalogue itself uses (IPsec, IKE,
 * VPC, Excel …), the language switch, units, and protocol/algorithm/vendor names the API sends as
 * data. Anything with a digit, '-', '_', '.', ':' or '/' is an id, an address, a name or an
 * algorithm (vpntnl-…, 198.51.100.7, aes128, sha1) and passes too.
 */
const LATIN_ALLOWED = [
  'EN',
  'bps',
  'Kbps',
  'Mbps',
  'Gbps',
  'pps',
  'Kpps',
  'Mpps',
  'UTC',
  'GMT',
  'CNY',
  'MB',
  'GB',
  'IKE',
  'IKEv',
  'IPsec',
  'ESP',
  'AH',
  'PSK',
  'DH',
  'PFS',
  'AES',
  'SHA',
  'MD',
  'DES',
  'CIDR',
  'VPC',
  'VPN',
  'IP',
  'ID',
  'FQDN',
  'DPD',
  'SA',
  'strongSwan',
  'libreswan',
  'swanctl',
  'Cisco',
  'IOS',
  'Huawei',
  'charon',
  'ESTABLISHED',
  'INSTALLED',
  'modp',
  'ecp',
  'main',
  'aggressive',
];

export function latinWords(text: string, data: string[] = []): string[] {
  const cat = catalogues();
  const allowed = new Set(LATIN_ALLOWED.map((w) => w.toLowerCase()));
  for (const v of Object.values(cat.zh)) for (const w of v.match(/[A-Za-z]+/g) ?? []) allowed.add(w.toLowerCase());
  const out = new Set<string>();
  for (const token of text.match(/[A-Za-z][A-Za-z0-9_.:/-]*/g) ?? []) {
    if (/[0-9_.:/-]/.test(token)) continue;
    if (allowed.has(token.toLowerCase())) continue;
    if (data.some((d) => d.includes(token))) continue;
    out.add(token);
  }
  return [...out];
}
