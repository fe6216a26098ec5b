#!/usr/bin/env bash
# Usage: npm run migration:generate -- Name
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.build.json >/dev/null || true   # emit even if unrelated files have type errors
node dist/src/cli/generate-migration.js "$@"
