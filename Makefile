# marketplace_app: everyday commands. Longer logic lives in scripts/.
#   make run    migrate, seed demo data, serve on http://127.0.0.1:$(PORT)
#   make test   lint + unit tests + browser tests (installs chromium/PostgreSQL if missing)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PORT ?= 3000
export PORT

LINT_PATHS := marketplace_app tests datasets rxconfig.py $(wildcard bench)
ENV := . scripts/env.sh &&

.PHONY: help setup run test lint format migrations clean

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/'

setup: ## Create .venv, install requirements.txt (when changed) and bun (when missing)
	@scripts/setup.sh

run: setup ## Migrate, seed demo data if empty, serve on PORT (default 3000)
	@scripts/run.sh

test: setup ## Lint, unit tests, then browser tests in a separate pytest process
	@scripts/test.sh

lint: setup ## ruff check + ruff format --check
	$(ENV) ruff check $(LINT_PATHS) && ruff format --check $(LINT_PATHS)

format: setup ## ruff check --fix + ruff format
	$(ENV) ruff check --fix $(LINT_PATHS) && ruff format $(LINT_PATHS)

migrations: setup ## New Alembic revision from model changes: make migrations MSG="add x"
	@if [[ -z "$(strip $(MSG))" ]]; then echo 'usage: make migrations MSG="what changed"' >&2; exit 2; fi
	$(ENV) python -c 'import sys; from marketplace_app.migrations import make_revision; make_revision(sys.argv[1])' "$(MSG)"

clean: ## Remove .venv, .web and tools/node_modules (keeps data/)
	rm -rf .venv .web tools/node_modules
