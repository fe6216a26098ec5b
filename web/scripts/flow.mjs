// Developer walk-through (not a test): drives the VPN wizards in headless Chromium against a dev API.
//   BASE=http://127.0.0.1:8090 KEY=<tenant key> node scripts/flow.mjs
import { chromium } from 'playwright-core';
const BASE = process.env.BASE ?? 'http://127.0.0.1:8080';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await browser.newContext({ locale: process.env.LANG_UI === 'zh' ? 'zh-CN' : 'en-US', viewport: { width: 1440, height: 900 }, acceptDownloads: true });
const page = await ctx.newPage();
page.on('pageerror', (e) => console.log('  pageerror:', e.message.slice(0, 300)));
const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: `/tmp/webui-shots/fail-${name.replace(/\W+/g, '_')}.png`, fullPage: true });
  }
};
const sel = async (testId, text) => {
  await page.getByTestId(testId).click();
  // Searchable selects filter on typing (long lists are virtual: an option far down is not in the DOM).
  if (await page.getByTestId(testId).locator('input:not([readonly])').count()) await page.keyboard.type(text);
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text }).first();
  await option.waitFor();
  await page.waitForTimeout(200);
  await option.click();
};
const suffix = Date.now().toString(36).slice(-4);
const octet = Math.floor(Math.random() * 250);
await step('login', async () => {
  await page.goto(`${BASE}/login`);
  await page.getByTestId('api-key-input').fill(process.env.KEY);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('gateway-table').waitFor();
});
await step('gateway wizard', async () => {
  await page.getByTestId('create-button').click();
  await page.getByTestId('machine-type').getByText('standard').click();
  await sel('vpc-select', 'vpc-prod');
  await sel('subnet-select', 'subnet-3');
  await sel('external-ip-select', '198.51.100.');
  await page.getByTestId('wizard-next').click();
  await page.getByTestId('name-input').fill(`gw-${suffix}`);
  await page.getByTestId('charge-type').getByText(/yearly|按年/i).click();
  await page.locator('[data-testid="quote-total"]', { hasText: 'CNY' }).waitFor();
  console.log('     quote', await page.getByTestId('quote-total').innerText());
  await page.getByTestId('wizard-submit').click();
  await page.getByTestId('detail-title').waitFor();
});
await step('gateway inline rename', async () => {
  await page.getByTestId('edit-name').locator('.ant-typography-edit').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(`gw-${suffix}-x`);
  await page.keyboard.press('Enter');
  await page.getByTestId('edit-name').getByText(`gw-${suffix}-x`).waitFor();
});
await step('gateway metrics tab', async () => {
  await page.getByRole('tab', { name: /Monitoring|监控/ }).click();
  await page.getByTestId('metrics-chart').locator('[data-testid^="chart-"] canvas').first().waitFor();
});
await step('peer create with 0.0.0.0', async () => {
  await page.goto(`${BASE}/peer-gateways`);
  await page.getByTestId('create-button').click();
  const form = page.getByTestId('peer-form');
  await form.getByTestId('name-input').fill(`peer-${suffix}`);
  await form.getByTestId('ip-input').fill('127.0.0.1');
  await page.getByTestId('peer-submit').click();
  await form.locator('.ant-form-item-explain-error', { hasText: /loopback|环回/ }).waitFor();
  await form.getByTestId('ip-input').fill('0.0.0.0');
  await page.getByTestId('any-peer-hint').waitFor();
  await page.getByTestId('peer-submit').click();
  await page.getByTestId('peer-table').getByText(`peer-${suffix}`).waitFor();
});
await step('tunnel wizard to any-peer (API violation mapped)', async () => {
  await page.goto(`${BASE}/vpn-tunnels/new`);
  const form = page.getByTestId('tunnel-form');
  await form.getByTestId('name-input').fill(`tn-${suffix}`);
  await sel('gateway-select', `gw-${suffix}-x`);
  await sel('peer-select', `peer-${suffix}`);
  await sel('local-subnets', 'subnet-3');
  await page.keyboard.press('Escape');
  await form.getByTestId('remote-cidrs').fill('10.1.5.0/24');
  await page.getByTestId('psk-generate').click();
  await page.getByTestId('wizard-next').click();
  await form.locator('.ant-form-item-explain-error', { hasText: /overlaps the VPC|与 VPC/ }).waitFor();
  await form.getByTestId('remote-cidrs').fill(`192.${octet}.77.0/24\n192.${octet}.78.0/24`);
  await page.getByTestId('wizard-next').click();
  await page.getByTestId('ipsec-fields').waitFor();
  await sel('ike-version', 'IKEv1');
  await page.getByTestId('ike-mode').waitFor();
  await sel('ipsec-protocol', 'AH');
  if (!(await page.getByTestId('ipsec-encryption').locator('.ant-select-disabled, [aria-disabled="true"]').count()) && !(await page.locator('[data-testid="ipsec-encryption"].ant-select-disabled').count())) throw new Error('encryption not disabled for AH');
  await page.getByTestId('wizard-submit').click();
  await form.locator('.ant-form-item-explain-error', { hasText: /0\.0\.0\.0/ }).first().waitFor();
  await page.getByTestId('ike-remote-id').fill('branch.example.com');
  await page.getByTestId('wizard-submit').click();
  await page.getByTestId('detail-title').waitFor();
});
await step('tunnel pair in use (API 409 on the field)', async () => {
  await page.goto(`${BASE}/vpn-tunnels/new`);
  const form = page.getByTestId('tunnel-form');
  await form.getByTestId('name-input').fill(`dup-${suffix}`);
  await sel('gateway-select', `gw-${suffix}-x`);
  await sel('peer-select', 'branch-nat');
  await sel('local-subnets', 'subnet-1');
  await page.keyboard.press('Escape');
  await form.getByTestId('remote-cidrs').fill('172.16.0.0/24');
  await page.getByTestId('psk-generate').click();
  await page.getByTestId('wizard-next').click();
  await page.getByTestId('ipsec-fields').waitFor();
  await page.getByTestId('ike-remote-id').fill(`dup${suffix}.example.com`);
  await page.getByTestId('wizard-submit').click();
  const err = form.locator('.ant-form-item-explain-error').first();
  await err.waitFor();
  console.log('     field error:', await err.innerText());
  await page.goBack();
});
await step('tunnel edit ipsec', async () => {
  await page.getByRole('tab', { name: /Subnets and policies|子网与策略/ }).click();
  await page.getByTestId('edit-ipsec').click();
  await page.getByTestId('reconnect-warning').waitFor();
  await sel('ipsec-protocol', 'ESP');
  await sel('ipsec-encryption', 'aes256');
  await page.getByTestId('editor-save').click();
  await page.getByTestId('tunnel-ipsec').getByText('aes256').waitFor();
});
await step('config download', async () => {
  await page.getByTestId('download-config').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('config-download-submit').click()]);
  console.log('     file', dl.suggestedFilename());
});
await step('tunnel list excel', async () => {
  await page.goto(`${BASE}/vpn-tunnels`);
  await page.getByTestId('tunnel-table').locator('tr.ant-table-row').first().waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.getByTestId('export-xlsx').click()]);
  console.log('     file', dl.suggestedFilename());
});
await step('tunnel list search and pages', async () => {
  await page.goto(`${BASE}/vpn-tunnels`);
  const rows = page.getByTestId('tunnel-table').locator('tr.ant-table-row');
  await rows.nth(19).waitFor();
  await page.locator('.ant-pagination-item-2').click();
  await page.waitForFunction(() => document.querySelector('.ant-pagination-item-active')?.textContent === '2');
  await page.getByTestId('list-search').locator('input').fill('tunnel-99');
  await page.getByTestId('list-search').locator('input').press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tunnel-table"] tr.ant-table-row')].every((r) => r.textContent.includes('tunnel-99')) && document.querySelectorAll('[data-testid="tunnel-table"] tr.ant-table-row').length === 11);
});
await step('gateway delete guard', async () => {
  await page.goto(`${BASE}/vpn-gateways`);
  await page.getByTestId('gateway-table').locator('tr.ant-table-row', { hasText: `gw-${suffix}-x` }).getByTestId('row-delete').click();
  await page.getByTestId('delete-blocked').getByText(`tn-${suffix}`).waitFor();
});
await step('alert template with a webhook', async () => {
  await page.goto(`${BASE}/alert-templates`);
  await page.getByTestId('create-button').click();
  const form = page.getByTestId('alert-template-form');
  await form.getByTestId('name-input').fill(`tpl-${suffix}`);
  await page.getByTestId('add-webhook').click();
  await form.locator('input[placeholder="https://example.com/hook"]').fill('ftp://nope');
  await page.getByTestId('alert-template-submit').click();
  await form.locator('.ant-form-item-explain-error').first().waitFor();
  await form.locator('input[placeholder="https://example.com/hook"]').fill('https://hooks.example.com/vpn');
  await form.locator('input[type="password"]').fill('0123456789abcdef0123');
  await page.getByTestId('alert-template-submit').click();
  await page.getByTestId('alert-template-table').getByText(`tpl-${suffix}`).waitFor();
});
await step('language switch', async () => {
  await page.keyboard.press('Escape');
  await page.getByTestId('lang-switch').getByText('中文').click();
  await page.getByText('VPN 网关').first().waitFor();
});
if (process.env.ADMIN) {
  await page.getByTestId('logout').click();
  await step('operator login, tenant and key', async () => {
    await page.getByTestId('api-key-input').fill(process.env.ADMIN);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('tenant-table').waitFor();
    await page.getByTestId('create-button').click();
    await page.locator('.ant-modal').getByTestId('name-input').fill(`t-${suffix}`);
    await page.locator('.ant-modal .ant-btn-primary').click();
    await page.getByTestId('issue-key').waitFor();
    await page.locator('.ant-drawer').getByPlaceholder(/Key name|密钥名称/).fill(`k-${suffix}`);
    await page.getByTestId('issue-key').click();
    console.log('     key', (await page.getByTestId('issued-key').innerText()).slice(0, 12) + '…');
  });
  await step('operator inventory tabs and hosts', async () => {
    await page.goto(`${BASE}/operator/inventory`);
    await page.getByTestId('dc-table').locator('tr.ant-table-row').first().waitFor();
    await page.getByRole('tab', { name: /External IPs|外网 IP/ }).click();
    await page.getByTestId('external-ip-table').locator('tr.ant-table-row').first().waitFor();
    await page.goto(`${BASE}/operator/hosts`);
    await page.getByTestId('host-table').waitFor();
  });
}
await browser.close();
