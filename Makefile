# cashwrap — the two commands first:
#   make demo   set everything up and run the platform (with its sandbox OMS, PSP, carrier) on SQLite
#   make test   set everything up and run linters, type checks and the whole test suite
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UV_VERSION := 0.13.9
CODE := src tests bench migrations
# The suite runs on this many processes (pytest-xdist); each test has its own tenant and servers.
TEST_WORKERS ?= 2

.PHONY: demo test help install lint test-postgres bench lock clean

demo: $(INSTALLED) ## Run the platform, sandbox OMS, PSP and carrier, configured (Ctrl-C stops)
	$(BIN)/cashwrap demo

test: lint ## Set up, then lint, type-check, check import rules and run every test (SQLite)
	$(BIN)/pytest -n $(TEST_WORKERS)

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: $(INSTALLED) ## Create .venv and install the locked dependencies and cashwrap

$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

lint: $(INSTALLED) ## Ruff (lint and format), mypy --strict, import-linter
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy
	$(BIN)/lint-imports

test-postgres: $(INSTALLED) ## The test suite against PostgreSQL on 127.0.0.1:5432 (a fresh database)
	CASHWRAP_TEST_DATABASE=postgresql $(BIN)/pytest -n $(TEST_WORKERS)

bench: $(INSTALLED) ## Run the benchmarks in bench/ (each prints its figure beside its floor)
	$(BIN)/python -m bench

lock: ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -o requirements.lock

clean: ## Remove the virtualenv and local databases
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
