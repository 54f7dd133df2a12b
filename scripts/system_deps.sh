#!/usr/bin/env bash
# System packages the tests need: Debian's chromium (Playwright drives it), the
# PostgreSQL 15 server binaries (unit tests start a throwaway cluster) and
# redis-server (the realtime relay's tests start a private one).
# apt is touched only when one of them is missing, and `apt-get update` runs once.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

missing=()
command -v chromium >/dev/null || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || missing+=(postgresql-15)
command -v redis-server >/dev/null || missing+=(redis-server)

if ((${#missing[@]} == 0)); then
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "system_deps: missing ${missing[*]} and no apt-get; install them by hand" >&2
    exit 1
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
        SUDO=(sudo)
    else
        echo "system_deps: missing ${missing[*]}; run as root or install them by hand" >&2
        exit 1
    fi
fi

echo "system_deps: installing ${missing[*]}"
if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /etc/postgresql-common/createcluster.conf ]]; then
    # The tests run their own cluster; do not let the package create and start
    # a default one on port 5432.
    "${SUDO[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" |
        "${SUDO[@]}" tee /etc/postgresql-common/createcluster.d/no-main-cluster.conf >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
