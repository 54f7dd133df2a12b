#!/usr/bin/env bash
# make test: lint, unit tests, then browser tests in a separate pytest process
# (pytest-playwright keeps an event loop running, so the two cannot share one).
# Every step runs; the exit status is non-zero if any of them failed.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

"$ROOT/scripts/system_deps.sh" || exit 1

paths=(marketplace_app tests datasets rxconfig.py)
[[ -d bench ]] && paths+=(bench)

failed=()
step() {
    local name="$1"
    shift
    echo "==> $name: $*"
    "$@" || failed+=("$name")
}

step "ruff check" .venv/bin/ruff check "${paths[@]}"
step "ruff format" .venv/bin/ruff format --check "${paths[@]}"
step "unit tests" .venv/bin/pytest tests/unit -q

step "e2e tests" .venv/bin/pytest tests/e2e -q

if ((${#failed[@]})); then
    echo "make test: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "make test: all passed"
