# spendrail: `make dev` runs the local stack, `make test` runs every check. Both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is python3.13 (template.yaml); tests run on the same minor version.
PYTHON_MINOR := 3.13
# A pyenv install first (its shims may exist without the version being active), else python3.13 on the PATH.
PYTHON ?= $(shell { ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(PYTHON_MINOR).*/bin/python$(PYTHON_MINOR) 2>/dev/null | sort -V | tail -n 1; \
	command -v python$(PYTHON_MINOR); } | while read -r p; do "$$p" -c "" 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export PYTHONPATH := $(CURDIR)

.PHONY: help install dev test lint typecheck validate unit integration concurrency e2e bench clean

help:
	@echo "make dev    install, then run the local stack (Ctrl-C stops it)"
	@echo "make test   install, then lint, type-check, validate the template and run every test with coverage"
	@echo "make bench  ledger throughput, chat overhead, cache lookup, fault timing (figures: docs/benchmarks.md)"

$(PY_STAMP): requirements-dev.txt layers/spendrail/requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_MINOR) not found (pyenv install $(PYTHON_MINOR) or set PYTHON=)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The browser test (tests/e2e/test_budget_page_browser.py) renders the budget page in Debian's Chromium, headless.
# Installed once with apt-get (as root, as CI runs; else through sudo) and skipped when it exists; CHROMIUM=<path>
# points the test at another Chromium or Chrome instead.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "No Chromium at $(CHROMIUM): install one, or set CHROMIUM=<path>"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

install: $(PY_STAMP) $(NODE_STAMP) $(CHROMIUM)

dev: install
	$(BIN)/python -m local.dev

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(PY_STAMP)
	$(BIN)/mypy

# What `sam validate --lint` runs, without needing the SAM CLI or AWS credentials.
validate: $(PY_STAMP)
	$(BIN)/cfn-lint template.yaml

unit: $(PY_STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(PY_STAMP)
	$(BIN)/pytest tests/integration -q

concurrency: install
	$(BIN)/pytest tests/concurrency -q -s

e2e: install
	$(BIN)/pytest tests/e2e -q -s

test: install lint typecheck validate
	$(BIN)/pytest --cov --cov-branch --cov-report=term-missing

bench: install
	$(BIN)/python -m benchmarks.ledger_throughput
	$(BIN)/python -m benchmarks.chat_overhead
	$(BIN)/python -m benchmarks.cache_lookup
	$(BIN)/python -m benchmarks.fault_timing
	$(BIN)/python -m benchmarks.windows_run

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .aws-sam
