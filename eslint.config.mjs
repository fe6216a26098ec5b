// ESLint for the server package: the API and worker (src), lab, CLI, benches, migrations and the
// tests. The route agent (agent/) is Python and not linted here: `npm run test:agent` tests it.
// web/ (the console) has its own config. Run: `npx eslint .`
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeGlobals = { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly' };

export default defineConfig(
  // Generated or byte-exact files: the SDK's types come from docs/openapi.json; golden files are compared byte for byte.
  { ignores: ['dist/**', 'web/**', '.cache/**', 'coverage/**', 'artifacts/**', '.run/**', 'sdk/schema.d.ts', '**/__golden__/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // The input rules reject control characters on purpose (input-guard, tunnel-rules, tunnel-model, the CLI's ANSI check).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The product (src/) does not depend on its harness: the lab, the tests and the benches.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/lab/**', '**/e2e/**', '**/test/**', '**/bench/**'],
              message: 'src/ is the product; the lab, tests and benches are its harness and may import it, not the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests, their harness and the benches read untyped JSON bodies and driver handles; `any` there is the honest type.
    files: ['**/*.spec.ts', '**/*.test.ts', 'test/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // TypeORM's `migrations` option is typed Function[] (the migration classes).
    files: ['migrations/index.ts'],
    rules: { '@typescript-eslint/no-unsafe-function-type': 'off' },
  },
  {
    // Plain CommonJS entry points and configs (bin/vpnctl.js, jest.config.js) and ES module helpers run by Node.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
