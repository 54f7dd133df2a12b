# shellcheck shell=bash
# Environment for every make target: sourced, never executed.
#   . scripts/env.sh
# Puts the project's venv and the npm-installed bun first on PATH and sets the
# REFLEX_* variables that keep Reflex offline-friendly.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# bun comes from npm (tools/), because Reflex's own bun download fails here.
export PATH="$ROOT/tools/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export PORT="${PORT:-3000}"
