#!/usr/bin/env bash
# make setup: the Python venv and the bun binary, each only when needed.
#  - .venv is created when missing;
#  - requirements.txt is installed when its hash differs from the stamp in .venv;
#  - tools/node_modules (bun from npm) is installed with `npm ci` when bun is missing.
# A second run does nothing and takes well under a second.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"

if [[ ! -x "$VENV/bin/python" ]]; then
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "setup: Python 3.11+ is required ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
        exit 1
    fi
    echo "setup: creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi

want="$(sha256sum requirements.txt | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
    echo "setup: installing requirements.txt into .venv"
    "$VENV/bin/pip" install --disable-pip-version-check -q -r requirements.txt
    echo "$want" >"$STAMP"
fi

if ! "$ROOT/tools/node_modules/.bin/bun" --version >/dev/null 2>&1; then
    if ! command -v npm >/dev/null; then
        echo "setup: npm (Node 20+) is required to install bun" >&2
        exit 1
    fi
    echo "setup: installing bun from npm into tools/"
    (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi
