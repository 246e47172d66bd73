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
install: $(VENV)/.installed $(EMU_VENV)/.installed emulator/node_modules/.installed
	@$(PY) -m emulator.preflight

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "==> Python virtualenv for the app ($(VENV))"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(EMU_VENV)/.installed: emulator/requirements.txt
	@echo "==> Python virtualenv for the emulators ($(EMU_VENV); they pin protobuf<5)"
	@test -x $(EMU_VENV)/bin/python || $(PYTHON) -m venv $(EMU_VENV)
	@$(EMU_VENV)/bin/python -m pip install --quiet --upgrade pip
	@$(EMU_VENV)/bin/python -m pip install --quiet -r emulator/requirements.txt
	@touch $@

emulator/node_modules/.installed: emulator/package.json emulator/package-lock.json
	@echo "==> firebase-tools for the Auth emulator (npm, about a minute the first time)"
	@cd emulator && npm ci --no-audit --no-fund --loglevel=error
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
