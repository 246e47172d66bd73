# Sellout: one entry point for developers and CI. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
EMU_VENV := .venv-emulators
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: help install run start stop status reset test check spec-tables lint format typecheck unit integration bench bundle tf-check reconcile clean

help:
	@echo "make run        start every emulator and function, seed demo data, print the URLs (Ctrl-C stops)"
	@echo "make test       install, then lint, type-check and run every test against the emulators"
	@echo "make stop       stop whatever 'make run' or the tests left running"
	@echo "make bench      flash-sale and import-time benchmarks (numbers printed)"
	@echo "make bundle     zip each function with the shared package for Terraform"
	@echo "make tf-check   offline Terraform checks (parse, checkov, fmt)"
	@echo "make reconcile  compare a day of the local Stripe with our orders and refunds (DATE=YYYY-MM-DD, default yesterday UTC)"

# --- installation (idempotent: each step reruns only when its lock file changed) -------------
# Each step runs through emulator.progress: a line every 10 s while it works, its time when done
# (the README's install timings are these lines). Python packages come as wheels only: nothing
# is compiled (localstripe, pure Python, publishes no wheel; its sdist builds in a second).
PROGRESS := $(PYTHON) -m emulator.progress

install: $(VENV)/.installed $(EMU_VENV)/.installed emulator/node_modules/.installed
	@$(PY) -m emulator.preflight

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "==> Python virtualenv for the app ($(VENV))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PROGRESS) "pip itself" -- $(PY) -m pip install --upgrade pip
	@$(PROGRESS) "app packages (pip, wheels only)" -- \
		$(PY) -m pip install --only-binary=:all: -r requirements-dev.txt
	@touch $@

$(EMU_VENV)/.installed: emulator/requirements.txt
	@echo "==> Python virtualenv for the emulators ($(EMU_VENV); they pin protobuf<5)"
	@test -x $(EMU_VENV)/bin/python || $(PYTHON) -m venv $(EMU_VENV)
	@$(PROGRESS) "pip itself" -- $(EMU_VENV)/bin/python -m pip install --upgrade pip
	@$(PROGRESS) "emulator packages (pip, wheels only)" -- \
		$(EMU_VENV)/bin/python -m pip install --only-binary=:all: --no-binary=localstripe -r emulator/requirements.txt
	@touch $@

# firebase-tools (the Auth emulator) and mjml (the e-mail templates), without npm's optional
# packages: the only one with native code is re2, an optional dependency of firebase-tools'
# Hosting emulator (superstatic); it has no prebuilt binary here and compiled from source for 2
# to 20 minutes on a 2-core machine, depending on its load, and the Auth emulator does not use
# it. npm installs into a staging folder that then replaces node_modules in one move, so a
# failed or interrupted install leaves the old one working, and a node_modules that is a symlink
# (a git worktree sharing another checkout's) is replaced by this checkout's own instead of
# emptied in place.
NPM_STAGING := emulator/.npm-staging
emulator/node_modules/.installed: emulator/package.json emulator/package-lock.json
	@echo "==> firebase-tools and mjml (npm)"
	@rm -rf $(NPM_STAGING) && mkdir -p $(NPM_STAGING)
	@cp emulator/package.json emulator/package-lock.json $(NPM_STAGING)/
	@cd $(NPM_STAGING) && $(PROGRESS) "npm ci (no optional native modules)" -- \
		npm ci --omit=optional --no-audit --no-fund --loglevel=error
	@rm -rf emulator/node_modules && mv $(NPM_STAGING)/node_modules emulator/node_modules
	@rm -rf $(NPM_STAGING)
	@touch $@

# --- local stack -----------------------------------------------------------------------------
run: install
	@$(PY) -m emulator.stack run

start: install
	@$(PY) -m emulator.stack start

stop:
	@if [ -x $(PY) ]; then $(PY) -m emulator.stack stop; fi

status:
	@$(PY) -m emulator.stack status

reset:
	@$(PY) -m emulator.stack reset

# --- quality gates ---------------------------------------------------------------------------
test: install check tf-check
	@$(PY) -m pytest

check: lint typecheck spec-tables

# The schema tests read SPEC §4 from an in-repo extract; where the SPEC itself is beside the
# repository (a developer's machine, CI), the extract must still match it.
spec-tables:
	@$(PY) -m tests.graphql_contract.spec_tables --check

lint:
	@echo "==> ruff"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format:
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

typecheck:
	@echo "==> mypy"
	@$(VENV)/bin/mypy
	@for f in functions/*/main.py; do $(VENV)/bin/mypy --no-error-summary "$$f" || exit 1; done

unit: install
	@$(PY) -m pytest tests/unit tests/graphql_contract

integration: install
	@$(PY) -m pytest tests/integration

bench: install
	@$(PY) -m tests.bench

bundle: install
	@$(PY) terraform/bundle.py

tf-check:
	@bash terraform/check.sh

# The daily reconciliation by hand, against the running local stack (make start / make run
# installs it; this target only reads its environment).
reconcile:
	@eval "$$($(PY) -m emulator.stack env)" && $(PY) -m shared.run_reconciliation $(if $(DATE),--date $(DATE))

clean: stop
	rm -rf $(VENV) $(EMU_VENV) emulator/node_modules .stack dist .pytest_cache .mypy_cache .ruff_cache
