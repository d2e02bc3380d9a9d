# Cafe loyalty & wallet — developer commands. See README.md.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock 2>/dev/null | cut -c1-12)
PYTEST := $(BIN)/pytest
# pytest exits 5 when a marker selects nothing; that is not a failure here.
PYTEST_OK := rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests selected"; rc=0; fi; exit $$rc

.PHONY: install run test lint typecheck fmt messages bench clean test-sqlite test-postgres test-browser

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

messages: install
	DEBUG=true $(BIN)/python manage.py compilemessages -i .venv -v 0

run: install messages
	DEBUG=true $(BIN)/python manage.py migrate --no-input -v 1
	DEBUG=true $(BIN)/python manage.py load_demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (demo logins: see README.md)"
	@DEBUG=true $(BIN)/python manage.py db_worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	CAFE_TESTING=1 $(BIN)/mypy .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-sqlite: install messages
	$(PYTEST) -m "not postgres and not browser" -q -n 2 ; $(PYTEST_OK)

test-postgres: install messages
	$(BIN)/python -m tests.pgcluster -- $(PYTEST) -m postgres -q -n 2 ; $(PYTEST_OK)

test-browser: install messages
	$(PYTEST) -m browser -q -n 2 ; $(PYTEST_OK)

test: lint typecheck test-sqlite test-postgres test-browser

# The bench drives the app with wrk and serves it with Redis as the shared
# cache (README, "Benchmarks"); both come from Debian's packages, installed
# here when missing, as .ci/run installs PostgreSQL.
bench: install
	@missing=(); command -v wrk >/dev/null || missing+=(wrk); \
	  command -v redis-server >/dev/null || missing+=(redis-server); \
	  if [ $${#missing[@]} -gt 0 ]; then \
	    echo "Installing: $${missing[*]}"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${missing[@]}"; \
	  fi
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) staticfiles test-artifacts
