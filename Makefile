# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export OPENLOCAL_DATA_DIR ?= $(CURDIR)/var

STATIC_SOURCES := $(shell find src/openlocal -path '*/static/*' -type f 2>/dev/null)

.PHONY: run test lint typecheck pytest e2e-deps bench clean install

run: $(VENV)/.installed-run build/static/openlocal/openlocal.css build/collected/.stamp
	@$(BIN)/openlocal migrate --no-input -v 0
	@$(BIN)/openlocal demo --if-empty
	@$(BIN)/openlocal serve --port $(PORT)

test: $(VENV)/.installed-test build/static/openlocal/openlocal.css e2e-deps lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy src

pytest: $(VENV)/.installed-test build/static/openlocal/openlocal.css
	$(BIN)/pytest $(PYTEST_ARGS)

e2e-deps:
	@scripts/ensure-chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: $(VENV)/bin/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/bin/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@ $(VENV)/.installed-run

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/static/openlocal/openlocal.css: node_modules/.installed $(wildcard src/openlocal/web/scss/*.scss)
	@mkdir -p build/static/openlocal
	npm run --silent build

build/collected/.stamp: $(VENV)/.installed-run build/static/openlocal/openlocal.css $(STATIC_SOURCES)
	$(BIN)/openlocal collectstatic --no-input -v 0
	@touch $@

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf build node_modules $(VENV) .pytest_cache .mypy_cache .ruff_cache
