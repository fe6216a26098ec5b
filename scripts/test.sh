#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts PostgreSQL and Redis if
# they are not running, type-checks, lints (ESLint, Prettier), then runs unit (TypeScript, and the Python route agent's), API and end-to-end tests (real services,
# real charon, network namespaces). Lint and format checks come first: they fail in a minute, not after the long tiers.
source "$(dirname "$0")/lib.sh"
ensure_system_packages
ensure_postgres
ensure_redis
ensure_node_modules
ensure_libreswan_tools
log "type-checking"
npx tsc -p tsconfig.json --noEmit
ensure_node_modules web
log "lint: ESLint (typescript-eslint) and Prettier, the server package and the console (web/)"
npx eslint .
npx prettier --check .
(cd web && npx eslint . && npx prettier --check .)
log "OpenAPI document lint (Redocly, redocly.yaml)"
npm run --silent lint:openapi
log "unit tests"
npx jest --selectProjects unit --ci
log "route agent unit tests (Python standard library, the system's python3 as on an instance)"
/usr/bin/python3 -m unittest discover -s agent
ensure_helm
log "Helm chart (helm lint, helm template, Kubernetes schemas)"
npx jest --selectProjects chart --ci
log "API tests (PostgreSQL, Redis)"
npx jest --selectProjects api --ci --forceExit
ensure_chromium
build_web
log "console unit tests (web/: message catalogues complete in zh and en)"
(cd web && npm test --silent)
log "end-to-end tests (charon, namespaces, the console in headless Chromium)"
npx jest --selectProjects e2e --ci --maxWorkers=2 --forceExit
