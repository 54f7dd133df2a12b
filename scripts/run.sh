#!/usr/bin/env bash
# make run: migrate, seed demo data into an empty database (never in production),
# then serve the app (frontend and backend on one port, PORT, default 3000).
# Every step refuses an unsafe production configuration with a message.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

.venv/bin/python -m marketplace_app.cli migrate
in_production='from marketplace_app.settings import settings; exit(0 if settings.production else 1)'
if .venv/bin/python -c "$in_production"; then
  echo "Production: no demo data. Create an operator with: python -m marketplace_app.cli create-admin"
else
  .venv/bin/python -m marketplace_app.cli seed-demo --if-empty
fi
exec .venv/bin/reflex run --env prod --frontend-port "$PORT" --backend-port "$PORT"
