# Harbour: two commands do everything on a fresh machine.
#   make run   install, migrate, load the demo organisation, serve at http://127.0.0.1:8000
#   make test  install everything the tests need, then run the whole suite in both configurations
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000
CI_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/harbour_ci
CI_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: run test install install-dev lint test-embedded test-production services chromium clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Harbour needs Python 3.11 or newer"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .

chromium:
	@bash scripts/ensure-chromium.sh

services:
	@bash scripts/ensure-services.sh

# The embedded default: SQLite and the in-memory channel layer, nothing to configure.
test-embedded: install-dev chromium
	env -u DATABASE_URL -u REDIS_URL $(PYTEST) -m "not browser"
	env -u DATABASE_URL -u REDIS_URL DJANGO_ALLOW_ASYNC_UNSAFE=true $(PYTEST) -m browser

# Production: PostgreSQL and Redis, including two daphne processes and a worker on one database.
test-production: install-dev chromium services
	DATABASE_URL=$(CI_DATABASE_URL) REDIS_URL=$(CI_REDIS_URL) $(PYTEST) --create-db -m "not browser"
	DATABASE_URL=$(CI_DATABASE_URL) REDIS_URL=$(CI_REDIS_URL) DJANGO_ALLOW_ASYNC_UNSAFE=true $(PYTEST) -m browser

test: lint test-embedded test-production

clean:
	rm -rf $(VENV) var .pytest_cache
