# ZKredit: one entry point. Every target bootstraps what it needs, idempotently.
#   make demo   set everything up, run the end-to-end demo, then serve the dashboard (:3000)
#   make test   set everything up, then run the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_PY   := $(VENV)/.installed
STAMP_NODE := node_modules/.installed

.PHONY: setup demo test test-fast lint typecheck circuits ceremony contracts chain deploy bench clean

setup: $(STAMP_PY) $(STAMP_NODE)

$(STAMP_PY): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	$(BIN)/zkredit demo all --serve

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src/zkredit/zk

typecheck: setup
	$(BIN)/mypy

circuits: setup
	$(BIN)/zkredit circuits verify

contracts: setup
	$(BIN)/python tools/contracts/gen_verifiers.py
	node tools/contracts/build.mjs

ceremony: setup
	$(BIN)/zkredit ceremony run

chain: setup
	$(BIN)/zkredit chain up

deploy: chain
	$(BIN)/zkredit deploy --env development

bench: setup
	$(BIN)/zkredit bench zk
	$(BIN)/zkredit bench gas

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
