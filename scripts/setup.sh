#!/usr/bin/env bash
# Set up everything the project needs on a fresh clone: uv, the locked Python environment (.venv),
# the PostgreSQL server binaries, redis-server (the local Celery broker), and the offline assets for Data Docs. Safe and fast to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v uv >/dev/null 2>&1; then
    log "installing uv $UV_VERSION (from PyPI)"
    python3 -m pip install --quiet "uv==$UV_VERSION" || python3 -m pip install --quiet --user "uv==$UV_VERSION"
    export PATH="$HOME/.local/bin:$PATH"
fi

log "python environment (.venv, from uv.lock)"
UV_COMPILE_BYTECODE=1 uv sync --frozen --quiet

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian packages: $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
    else
        echo "missing: $* (install them, or run this script as root on Debian)" >&2
        return 1
    fi
}

if [ -z "${NTM_DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
        && ! command -v pg_ctl >/dev/null 2>&1; then
    apt_install postgresql
fi

# Redis is the broker of the local Celery setup (`airflow_local start --executor celery`).
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
    apt_install redis-server || true
fi

# Headless Chromium renders Data Docs in the offline screenshot test.
if [ ! -x /usr/bin/chromium ] && [ -z "${NTM_SKIP_BROWSER:-}" ]; then
    apt_install chromium || true
fi

# Offline copies of the JavaScript/CSS libraries Data Docs use (never loaded from CDNs).
if [ -f expectations/package-lock.json ] && command -v npm >/dev/null 2>&1; then
    if [ ! -d expectations/node_modules ] || [ expectations/package-lock.json -nt expectations/node_modules ]; then
        log "Data Docs assets (npm ci)"
        npm ci --prefix expectations --silent --no-audit --no-fund >/dev/null
        touch expectations/node_modules
    fi
fi
log "setup done"
