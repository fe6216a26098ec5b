#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts PostgreSQL and Redis if
# they are not running, type-checks, then runs unit, API and end-to-end tests (real services,
# real charon, network namespaces).
source "$(dirname "$0")/lib.sh"
ensure_system_packages
ensure_postgres
ensure_redis
ensure_node_modules
log "type-checking"
npx tsc -p tsconfig.json --noEmit
log "unit tests"
npx jest --selectProjects unit --ci
log "API tests (PostgreSQL, Redis)"
npx jest --selectProjects api --ci --forceExit
log "end-to-end tests (charon, namespaces)"
npx jest --selectProjects e2e --ci --runInBand --forceExit
