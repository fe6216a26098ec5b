#!/usr/bin/env bash
# Starts the whole product on this machine: installs what is missing, starts PostgreSQL and Redis if
# needed, builds, migrates and runs the API. Ctrl-C stops everything it started.
source "$(dirname "$0")/lib.sh"
ensure_system_packages
ensure_postgres
ensure_redis
ensure_node_modules
build
# The API runs without the console (and / then says how to build it): a console build error is
# reported, not fatal, here; npm test fails on it.
build_web || log "WARNING: the web console did not build (errors above); the API runs without it"

RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"
# Keys are generated once and kept: the secrets key must survive restarts or stored PSKs are lost.
if [ ! -f "$RUN_DIR/secrets.env" ]; then
  umask 077
  cat > "$RUN_DIR/secrets.env" <<KEYS
SECRETS_KEY=$(openssl rand -hex 32)
ADMIN_API_KEY=admin-$(openssl rand -hex 16)
DEMO_API_KEY=demo-$(openssl rand -hex 16)
KEYS
fi
# /metrics is operators only: a scrape-only token (kept with the keys; added to older files).
grep -q '^METRICS_TOKEN=' "$RUN_DIR/secrets.env" || (umask 077; echo "METRICS_TOKEN=metrics-$(openssl rand -hex 16)" >>"$RUN_DIR/secrets.env")
set -a
source "$RUN_DIR/secrets.env"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/vpn_console}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
PORT="${PORT:-8080}"
set +a
ensure_database "${DATABASE_URL##*/}"

PIDS=()
# Keeps a process up: one that exits (a crash, an OOM kill) is started again after 2 s. The API and
# the worker wait for PostgreSQL and Redis themselves, so a dependency restart never stops them;
# exit status 2 is a setting the operator must fix (named in the log), which stops the product.
supervise() {
  local name=$1 logfile=$2
  shift 2
  (
    child=0
    trap 'if [ "$child" -gt 0 ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi; exit 0' TERM INT
    while true; do
      "$@" >>"$logfile" 2>&1 &
      child=$!
      wait "$child"
      status=$?
      if [ "$status" -eq 2 ]; then log "$name exited with status 2 (a setting: see $logfile); not restarting it"; exit 2; fi
      log "$name exited (status $status); starting it again in 2 s (log: $logfile)"
      sleep 2
    done
  ) &
  PIDS+=($!)
}
stop_all() {
  log "stopping"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
# Background children of a script ignore SIGINT: Ctrl-C reaches them only through this trap.
trap stop_all EXIT
trap 'exit 130' INT TERM

log "starting the API on :$PORT (log: .run/api.log)"
# The API's V8 flags live in one place (src/config/api-node-flags.ts; the tests and benches use them too).
read -r -a API_NODE_FLAGS <<<"$(node -p "require('./dist/src/config/api-node-flags').API_NODE_FLAGS.join(' ')")"
: >"$RUN_DIR/api.log"
supervise API "$RUN_DIR/api.log" node "${API_NODE_FLAGS[@]}" dist/src/main.js
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { tail -30 "$RUN_DIR/api.log"; exit 1; }

log "building the lab (namespaces) and registering its inventory"
LAB_API_URL="http://127.0.0.1:$PORT" node dist/lab/cli.js up >"$RUN_DIR/lab.log" 2>&1 || { cat "$RUN_DIR/lab.log"; exit 1; }

log "starting the gateway-host worker (log: .run/worker.log)"
: >"$RUN_DIR/worker.log"
export HOST_ID="${HOST_ID:-local}"
supervise worker "$RUN_DIR/worker.log" node dist/lab/lab-worker.js

cat <<INFO

  Console      http://127.0.0.1:$PORT/   (log in with the tenant or the operator key below)
  API          http://127.0.0.1:$PORT/api/v1   (OpenAPI: http://127.0.0.1:$PORT/api/docs)
  Tenant key   $DEMO_API_KEY   (tenant "demo"; also in .run/secrets.env)
  Operator key $ADMIN_API_KEY
  Metrics      curl -H "Authorization: Bearer $METRICS_TOKEN" http://127.0.0.1:$PORT/metrics   (Prometheus: see docs/operations.md)
  Lab          npm run lab -- status    (instances: vm-a1 vm-a2 vm-b1 in 10.1.0.0/16, vm-c1 in 192.168.0.0/16)

  Try: export KEY=$DEMO_API_KEY; curl -s -H "Authorization: Bearer \$KEY" http://127.0.0.1:$PORT/api/v1/vpcs
  Ctrl-C stops the API and the worker; the gateways' charons keep their tunnels up and the next
  start takes them over (npm run lab -- down removes the lab's and the gateways' namespaces and processes).
INFO
wait -n "${PIDS[@]}"
