// Developer smoke run (not a test): opens each page in headless Chromium, reports console errors
// and leftover message keys, and saves screenshots to /tmp/webui-shots.
//   BASE=http://127.0.0.1:8090 KEY=<tenant key> [ADMIN=<operator key>] [LANG=en|zh] node scripts/smoke.mjs [paths...]
import { mkdirSync, readFileSync } from 'node:fs';
// The same check as e2e/support/browser.ts languageProblems: English fragments of en.json on zh pages.
const flat = (o, p = '', out = {}) => { for (const [k, v] of Object.entries(o)) typeof v === 'string' ? (out[p + k] = v) : flat(v, `${p}${k}.`, out); return out; };
const EN = flat(JSON.parse(readFileSync(new URL('../src/i18n/en.json', import.meta.url))));
const ZH = flat(JSON.parse(readFileSync(new URL('../src/i18n/zh.json', import.meta.url))));
const zhValues = Object.values(ZH).join('\n');
const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fragments = [];
for (const [key, en] of Object.entries(EN)) {
  if (ZH[key] === en) continue;
  for (const raw of en.split(/\{\{[^}]*\}\}|<[^>]*>/)) {
    const text = raw.trim().replace(/^[^A-Za-z]+|[^A-Za-z.)]+$/g, '');
    if (!/[A-Za-z]{3,}/.test(text) || zhValues.includes(text)) continue;
    fragments.push({ key, text, re: new RegExp(`(^|[^A-Za-z])${esc(text)}([^A-Za-z]|$)`, 'm') });
  }
}
import { chromium } from 'playwright-core';
const BASE = process.env.BASE ?? 'http://127.0.0.1:8080';
const shots = '/tmp/webui-shots';
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
async function run(key, paths) {
  const ctx = await browser.newContext({ locale: process.env.LANG_UI === 'zh' ? 'zh-CN' : 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log('  console:', m.text().slice(0, 300)));
  page.on('pageerror', (e) => console.log('  pageerror:', e.message.slice(0, 300)));
  await page.goto(`${BASE}/login`);
  await page.getByTestId('api-key-input').fill(key);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  for (const p of paths) {
    const t0 = Date.now();
    await page.goto(`${BASE}${p}`);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.waitForTimeout(300);
    const attrs = await page.evaluate(() => [...document.querySelectorAll('[placeholder], [title]')].filter((e) => e.getBoundingClientRect().width).flatMap((e) => [e.getAttribute('placeholder'), e.getAttribute('title')]).filter(Boolean));
    const text = `${await page.locator('body').innerText()}\n${attrs.join('\n')}`;
    if (process.env.LANG_UI === 'zh') {
      const lines = text.split('\n').map((l) => l.trim().replace(/\bEN\b/g, ''));
      for (const f of fragments) { const w = lines.find((l) => f.re.test(l)); if (w !== undefined) console.log(`   ENGLISH "${f.text}" (${f.key}) in "${w.slice(0, 100)}"`); }
    }
    const leftovers = text.match(/\b[a-z]+\.[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*\b/g)?.filter((k) => /^(menu|common|gateway|peer|tunnel|policy|faq|logs|metrics|alert|validation|state|charge|period|auth|app|error|billing|op)\./.test(k)) ?? [];
    console.log(`${p}: ${Date.now() - t0} ms${leftovers.length ? ` LEFTOVER ${[...new Set(leftovers)].join(' ')}` : ''}`);
    await page.screenshot({ path: `${shots}/${p.replace(/\//g, '_') || 'root'}.png`, fullPage: true });
  }
  await ctx.close();
}
const args = process.argv.slice(2);
await run(process.env.KEY, args.filter((p) => !p.startsWith('/operator')));
if (process.env.ADMIN && args.some((p) => p.startsWith('/operator'))) await run(process.env.ADMIN, args.filter((p) => p.startsWith('/operator')));
await browser.close();
