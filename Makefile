# Gatehouse: the two set-up commands (see README) and a few helpers.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint format migration clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make serve: install, migrate, bootstrap (first start) and serve on http://127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/gatehouse migrate
	$(BIN)/gatehouse bootstrap
	exec $(BIN)/gatehouse serve

## make test: install what the tests need (Debian's chromium for the hosted-page tests) and run
## them all (SQLite, and PostgreSQL when reachable)
test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/python -m pytest -n $${TEST_WORKERS:-2} --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

## make migration m="what changed": a new Alembic revision from the models
migration: $(STAMP)
	rm -rf var/migration-scratch && mkdir -p var/migration-scratch
	GATEHOUSE_DATABASE_URL=sqlite:///var/migration-scratch/db GATEHOUSE_DATA_DIR=var/migration-scratch \
	  $(BIN)/python -c "import asyncio, sys; from gatehouse.settings import get_settings; \
	  from gatehouse.store.db import create_engine; from gatehouse.store import migrate; \
	  asyncio.run(migrate.autogenerate(create_engine(get_settings()), sys.argv[1]))" "$(m)"
	rm -rf var/migration-scratch

clean:
	rm -rf $(VENV) var .pytest_cache

## make bench [BENCH_ARGS="--quick" | "--database postgresql://postgres@127.0.0.1:5432/postgres
## --workers 2 --users 100000 --duration 10"]: load-test a local Gatehouse (see bench/README.md)
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
