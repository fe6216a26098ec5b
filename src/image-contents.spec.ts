// The container images compile tsconfig.image.json: the product (src/) and its migrations, never
// the lab (its network driver and names), the benches or the tests. Resolved through every import,
// so a src/ file that pulled lab code in (ESLint forbids it too) would fail here.
import * as path from 'path';
import * as ts from 'typescript';

it('the images compile src/ and migrations/ only: no lab, bench or test file, and no lab worker', () => {
  const root = path.resolve(__dirname, '..');
  const file = path.join(root, 'tsconfig.image.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, file);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  const ours = program
    .getSourceFiles()
    .map((f) => path.relative(root, f.fileName))
    .filter((f) => !f.startsWith('node_modules') && !f.startsWith('..'));
  expect(ours).toContain(path.join('src', 'worker.ts'));
  expect(ours.filter((f) => !/^(src|migrations)\//.test(f))).toEqual([]);
  expect(ours.filter((f) => /lab-(network-driver|names|worker)/.test(f))).toEqual([]);
});
