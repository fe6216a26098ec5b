// Three tiers (STYLE.md): unit specs beside the code need no services; api tests talk HTTP to a
// Nest app on a real PostgreSQL/Redis; e2e tests drive the running processes, charon and namespaces.
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
const common = { transform: { '^.+\\.ts$': swc }, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/agent/**/*.spec.ts', '<rootDir>/lab/**/*.spec.ts'] },
    { ...common, displayName: 'api', testMatch: ['<rootDir>/test/**/*.test.ts'], globalSetup: '<rootDir>/test/global-setup.ts' },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/e2e/**/*.test.ts'], globalSetup: '<rootDir>/test/global-setup.ts' },
  ],
};
