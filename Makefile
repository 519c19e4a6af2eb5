# belegsync: `make run` starts it on SQLite; `make test` runs every check.
# Both install what they need into .venv first, with nothing but the system Python.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/belegsync
# where `make run` / `make demo` listen (make run PORT=8123); the demo's test doubles
# take DOUBLES_PORT and the next three (0: free ports)
PORT ?= 8000
DOUBLES_PORT ?= 0

.PHONY: run demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e '.[dev,rq]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/belegsync run --port $(PORT)

# the demo keeps its own data directory: its user's password is public
demo: $(STAMP)
	BELEGSYNC_DATA_DIR=$${BELEGSYNC_DATA_DIR:-$(CURDIR)/demo-data} $(BIN)/belegsync demo --port $(PORT) --doubles-port $(DOUBLES_PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy belegsync/bookkeeping belegsync/connectors
	$(BIN)/lint-imports

test-sqlite: $(STAMP)
	scripts/ensure-chromium
	$(BIN)/pytest

test-postgres: $(STAMP)
	scripts/ensure-postgres
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

# every benchmark runs on its own: see bench/README.md
bench: $(STAMP)
	$(BIN)/python bench/bench_document_list.py --documents 20000 --requests 20

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
