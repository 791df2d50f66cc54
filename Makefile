# Tessera — the two commands are `make run` and `make test`; the rest are their parts.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app run
PORT   ?= 8080
PYTEST_ARGS ?=
# Test processes (pytest-xdist): each has its own PostgreSQL database and Redis database number.
TEST_WORKERS ?= 2

.PHONY: run test install install-dev db demo lint typecheck unit integration e2e bench browser \
	messages translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## The UI's translations: each language's messages.po compiled to the messages.mo the app reads.
PO_FILES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po $(VENV)/.runtime
	$(BIN)/pybabel compile -i $< -o $@

translations: $(MO_FILES)

## After adding or changing user-facing strings: extract them, then update every messages.po
## (translate the new entries; tests/app/test_translations.py fails on an untranslated one).
messages: install
	$(BIN)/pybabel extract -F app/translations/babel.cfg --add-location=file --sort-output \
		--project Tessera --copyright-holder Tessera -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations \
		--no-fuzzy-matching --ignore-obsolete

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

## Database: migrations, then FAB permissions and roles (the production release step too).
db: install
	FAB_UPDATE_PERMS=False $(FLASK) db upgrade
	$(FLASK) fab create-permissions

demo: db
	$(FLASK) tessera demo

## Serve the embedded default (SQLite under instance/, or DATABASE_URL) with one worker.
run: demo
	PORT=$(PORT) $(BIN)/python run.py

## Lint, type-check, then the whole suite on real PostgreSQL, Redis and Chromium.
test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy --strict forms workflows
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy
	$(BIN)/mypy --strict forms workflows

## The pure cores' tests but those marked slow (the property tests: `make test` runs them);
## tests/workflows holds the workflow engine's tests (the folder exists; pytest runs what it finds).
unit: install-dev
	$(BIN)/pytest -m "not slow" tests/forms tests/workflows $(PYTEST_ARGS)

integration: install-dev
	$(BIN)/pytest tests/app $(PYTEST_ARGS)

e2e: install-dev browser
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

## Debian's Chromium for the browser tests (never a browser downloaded by a tool).
browser:
	@command -v chromium >/dev/null 2>&1 || bash .ci/install-chromium
	@bash .ci/install-rjsf

bench: install-dev
	$(BIN)/python bench/forms_bench.py
	$(BIN)/python bench/submit_bench.py
	$(BIN)/python bench/list_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
