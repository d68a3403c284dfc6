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
# Tests run in $(JOBS) processes (pytest-xdist): each has its own test database and its own servers on free
# ports. A module that starts servers for all its tests keeps them on one process (xdist_group), and browser
# tests go a file at a time, so a file's servers and signed-in people are set up once.
JOBS ?= 2
UNIT := $(PYTEST) -n $(JOBS) --dist loadgroup
BROWSER := $(PYTEST) -n $(JOBS) --dist loadfile

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
	env -u DATABASE_URL -u REDIS_URL $(UNIT) -m "not browser and not migration"
	env -u DATABASE_URL -u REDIS_URL DJANGO_ALLOW_ASYNC_UNSAFE=true $(BROWSER) -m browser

# Production: PostgreSQL and Redis, including two daphne processes and a worker on one database. A shared
# database needs a SECRET_KEY (a throw-away one here), and the test servers speak plain HTTP: HARBOUR_HTTPS=0.
# Browser tests of layout, forms and accessibility (marked ui) depend on neither the database nor the channel
# layer: they run once, in the embedded configuration; here, everything live and across processes.
# Tests marked across_the_week run at every awkward instant (tests/clock.py) once, in the embedded step; so do
# those marked anywhere (static checks and pure functions, which meet neither database nor channel layer).
# Tests marked migration (a database migrated back and forth) run once, here, on PostgreSQL.
CI_ENV = DATABASE_URL=$(CI_DATABASE_URL) REDIS_URL=$(CI_REDIS_URL) SECRET_KEY=harbour-tests-only-not-a-secret HARBOUR_HTTPS=0 \
	HARBOUR_TEST_INSTANTS=ordinary
test-production: install-dev chromium services
	$(CI_ENV) $(UNIT) --create-db -m "not browser and not anywhere"
	$(CI_ENV) DJANGO_ALLOW_ASYNC_UNSAFE=true $(BROWSER) -m "browser and not ui"

test: lint test-embedded test-production

clean:
	rm -rf $(VENV) var .pytest_cache
