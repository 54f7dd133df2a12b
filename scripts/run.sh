#!/usr/bin/env bash
# make run: migrate, seed demo data into an empty database, then serve the app
# (frontend and backend on one port, PORT, default 3000).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

.venv/bin/python -m marketplace_app.cli migrate
.venv/bin/python -m marketplace_app.cli seed-demo --if-empty
exec .venv/bin/reflex run --env prod --frontend-port "$PORT" --backend-port "$PORT"
