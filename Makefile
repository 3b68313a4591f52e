# Two commands do all set-up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
APPS := accounts cart catalog core guestbook orders search service shop

.PHONY: run test e2e audit bench install install-dev migrate seed lint format collectstatic messages check-deploy clean

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=python3.11).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## make run: set everything up, seed the demo shop once and serve it at http://127.0.0.1:8000
run: migrate
	@if [ ! -f var/.demo-seeded ]; then $(PY) manage.py seed_demo && mkdir -p var && touch var/.demo-seeded; \
	else echo "Demo data already seeded (delete var/.demo-seeded to seed again)."; fi
	@echo ""
	@echo "  Shop:        http://$(HOST):$(PORT)/"
	@echo "  Staff admin: http://$(HOST):$(PORT)/admin/"
	@$(PY) -c "from shop.demo import DEMO_STAFF_EMAIL as e, DEMO_STAFF_PASSWORD as p; print(f'  Staff login: {e} / {p}')"
	@echo "  E-mail lands in var/outbox/ (one file per message)."
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: install dev tools and run the whole suite (SQLite, or Postgres with DATABASE_URL)
test: install-dev
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r $(APPS) -x '*/migrations/*' --severity-level medium
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto}

## make e2e: only the real-browser tests of tests/e2e (Playwright + Debian's chromium; `make test`
## runs them too, and both skip them with the reason when /usr/bin/chromium is missing).
## Screenshots of every page land in screenshots/.
e2e: install-dev
	$(BIN)/pytest tests/e2e

## make audit: known-vulnerable dependencies (pip-audit against PyPI's advisory data). Fails on a
## finding and on packages it could not check; AUDIT_OFFLINE_OK=1 turns the latter into a warning.
audit: install-dev
	$(PY) .ci/audit.py $(BIN)/pip-audit

## make bench: load benchmark on PostgreSQL + Redis, ~5 min; writes bench/RESULTS.md (bench/README.md)
bench: install
	$(PY) bench/run.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

collectstatic: install
	$(PY) manage.py collectstatic --noinput

## make messages: compile locale/en/LC_MESSAGES/django.po (the shop's wording for allauth's
## pages) after editing it; needs GNU gettext (apt-get install gettext). The .mo is committed.
messages: install
	$(PY) manage.py compilemessages --locale en --ignore .venv

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3 media
