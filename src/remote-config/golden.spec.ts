// Golden files: every remote-device vendor's file for each IKE/IPsec combination of the strongSwan
// golden cases. Regenerate with UPDATE_GOLDEN=1, then review every diff by eye (docs/remote-configs.md
// says what each vendor's file assumes); the swanctl and libreswan files are also checked by real
// tools in e2e/remote-*.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CASES } from '../strongswan/__golden__/cases';
import { NotExpressible } from '../strongswan/tunnel-model';
import { renderRemoteConfig, VendorId } from './vendors';

const DIR = join(__dirname, '__golden__');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN_VENDORS: Record<Exclude<VendorId, 'strongswan-ipsec'>, string> = {
  'strongswan-swanctl': 'swanctl.conf',
  libreswan: 'libreswan.conf',
  'cisco-ios': 'cisco-ios.txt',
  huawei: 'huawei.txt',
};

function golden(file: string, actual: string): void {
  const path = join(DIR, file);
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** The file, or the refusal the API answers with 409 when the vendor cannot say a setting. */
function renderOrRefusal(vendor: VendorId, t: (typeof CASES)[string]): string {
  try {
    return renderRemoteConfig(vendor, t);
  } catch (err) {
    if (err instanceof NotExpressible) return `409 vendor_cannot_express: ${err.message}\n`;
    throw err;
  }
}

describe.each(Object.entries(CASES))('golden %s', (name, t) => {
  it.each(Object.entries(GOLDEN_VENDORS))('%s', (vendor, suffix) => {
    golden(`${name}.${suffix}`, renderOrRefusal(vendor as VendorId, t));
  });
});
