#!/usr/bin/env node
// vpnctl's entry point (package.json "bin"): the compiled CLI, built by `npm install` (prepare)
// or `npm run build:cli`.
const { existsSync } = require('fs');
const { join } = require('path');

const compiled = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(compiled)) {
  process.stderr.write('vpnctl is not built yet: run `npm run build:cli` (npm install does it) in ' + join(__dirname, '..') + '\n');
  process.exit(1);
}
require(compiled)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
