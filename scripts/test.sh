#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts PostgreSQL and Redis if
# they are not running, type-checks, then runs unit, API and end-to-end tests (real services,
# real charon, network namespaces).
source "$(dirname "$0")/lib.sh"
ensure_system_packages
ensure_postgres
ensure_redis
ensure_node_modules
ensure_libreswan_tools
log "type-checking"
npx tsc -p tsconfig.json --noEmit
log "OpenAPI document lint (Redocly, redocly.yaml)"
npm run --silent lint:openapi
log "unit tests"
npx jest --selectProjects unit --ci
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
