# POP — plateforme ouverte du patrimoine
# make run   : installs, migrates, generates demo data when the database is empty, builds the index, serves :8000
#              (another address: make run PORT=8080 HOST=0.0.0.0)
# make test  : the whole suite on SQLite, then on PostgreSQL (server: PG_URL= or POP_TEST_DATABASE_URL=;
#              each half stops after POP_TEST_TIMEOUT seconds, default 1800)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
POP    := $(BIN)/pop
DEMO_RECORDS ?= 20000
DEMO_IMAGES  ?= 60
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-sqlite test-postgres browser-deps export-deps clean docs

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/activate

setup: $(BIN)/activate

run: setup
	$(POP) migrate --noinput -v0
	$(POP) demo --records $(DEMO_RECORDS) --images $(DEMO_IMAGES) --if-empty
	$(POP) index sync
	POP_SITE_URL=$${POP_SITE_URL:-http://$(HOST):$(PORT)} $(POP) serve --host $(HOST) --port $(PORT)

# LibreOffice (headless Calc) checks that exported XLSX and ODS files open without repair (tests/exports).
export-deps:
	@command -v soffice >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null)

browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: setup browser-deps export-deps
	@POP_TEST_DATABASE_URL=$${POP_TEST_DATABASE_URL:-$(PG_URL)} bash scripts/test.sh

test-sqlite: setup
	@bash scripts/test.sh sqlite

test-postgres: setup
	@POP_TEST_DATABASE_URL=$${POP_TEST_DATABASE_URL:-$(PG_URL)} bash scripts/test.sh postgres

docs: setup
	$(POP) schema --markdown > docs/data-model.md

clean:
	rm -rf var .pytest_cache
