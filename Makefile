# Needlework: the two commands are `make run` and `make test`. Both work on a fresh machine
# with only Python 3.11: they create .venv and install everything they need.

# The interpreter for .venv: the distribution's Python 3.11 where there is one with venv support,
# else python3. Debian's interpreter is linked statically; a default pyenv build links libpython
# as a shared library, whose position-independent code is slower: the question page cost a
# fifth more CPU under pyenv's 3.11.7 than under Debian's 3.11.2 (README, Benchmarks). Override
# with PYTHON=...; an existing .venv keeps its interpreter until `make clean`.
SYSTEM_PYTHON := /usr/bin/python3.11
ifndef PYTHON
PYTHON := $(shell $(SYSTEM_PYTHON) -c 'import ensurepip' 2>/dev/null && echo $(SYSTEM_PYTHON) || echo python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
SECRET := instance/secret_key
export FLASK_APP := quizapp

.PHONY: run test bench bench-deps lint format check-banks browser-deps clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(SECRET):
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

## make run: install, migrate, import the banks, create demo accounts, serve on 127.0.0.1:5000
run: $(STAMP) $(SECRET)
	SECRET_KEY=$$(cat $(SECRET)) $(BIN)/flask db upgrade
	SECRET_KEY=$$(cat $(SECRET)) $(BIN)/flask banks import question_banks/
	SECRET_KEY=$$(cat $(SECRET)) $(BIN)/flask demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop)"
	SECRET_KEY=$$(cat $(SECRET)) $(BIN)/gunicorn --config gunicorn.conf.py --workers 2 wsgi:app

## make test: install, then run the whole suite (SQLite and PostgreSQL legs, browser tests)
test: $(DEV_STAMP) browser-deps tests/axe/node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest

## make bench: seed PostgreSQL (DATABASE_URL of the bench, default needlework_bench on 127.0.0.1),
## serve with gunicorn, drive with wrk (closed loop) and locust (submit, open shape), write bench/results.md
## (medians of 3 runs, 20-30 min on 2 cores).
bench: $(BENCH_STAMP) bench-deps
	$(BIN)/python -m bench.run

## Debian's wrk, the closed-loop load generator of the bench, installed when missing (needs root).
bench-deps:
	@command -v wrk >/dev/null || .ci/apt-install wrk "the benchmark" || \
	  { echo "ERROR: wrk is missing; install it (Debian: apt-get install wrk)"; exit 1; }

## Debian's Chromium for the browser tests, installed when missing (needs root, as on CI).
browser-deps:
	@[ -x /usr/bin/chromium ] || .ci/apt-install chromium "the browser tests" || { [ $$? = 2 ] && \
	  echo "WARNING: /usr/bin/chromium is missing and cannot be installed here; browser tests will be skipped"; }

## axe-core for the accessibility tests, from the npm registry (a test tool, never served).
tests/axe/node_modules/axe-core/axe.min.js: tests/axe/package.json tests/axe/package-lock.json
	@if ! command -v npm >/dev/null; then \
	  .ci/apt-install npm "the accessibility tests" || { [ $$? = 2 ] && \
	    echo "WARNING: npm is missing; the accessibility test will be skipped" && exit 0; exit 1; }; \
	fi; \
	cd tests/axe && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/axe-core/axe.min.js

check-banks: $(STAMP) $(SECRET)
	SECRET_KEY=$$(cat $(SECRET)) $(BIN)/flask banks check question_banks/

lint: $(DEV_STAMP)
	$(BIN)/ruff check quizapp tests bench
	$(BIN)/ruff format --check quizapp tests bench

format: $(DEV_STAMP)
	$(BIN)/ruff format quizapp tests bench
	$(BIN)/ruff check --fix quizapp tests bench

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
