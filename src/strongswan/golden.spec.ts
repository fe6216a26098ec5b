// Golden files: the exact load-conn/load-shared JSON and both sides' downloadable .conf for each
// IKE/IPsec combination that matters. Regenerate with UPDATE_GOLDEN=1, then review every diff by
// eye against docs/vici.md and strongSwan's ipsec.conf(5) before committing it.
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { renderConfigBundle } from './ipsec-conf';
import { CASES } from './__golden__/cases';
import { childNames, renderLoadConn, renderLoadShared } from './vici-conn';

const DIR = join(__dirname, '__golden__');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(file: string, actual: string): void {
  const path = join(DIR, file);
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
    writeFileSync(path, actual);
    return;
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe.each(Object.entries(CASES))('golden %s', (name, t) => {
  it('load-conn and load-shared', () => {
    const vici = { loadConn: renderLoadConn(t), loadShared: renderLoadShared(t), childNames: childNames(t) };
    golden(`${name}.vici.json`, `${JSON.stringify(vici, null, 2)}\n`);
  });

  it.each(['platform', 'remote'] as const)('%s-side .conf', (side) => {
    golden(`${name}.${side}.conf`, renderConfigBundle(t, side));
  });
});
