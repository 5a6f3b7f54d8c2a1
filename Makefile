# The shop's developer commands. Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.requirements-installed
# A MongoDB URI with no server behind it: the contract pass compiles queries for
# django-mongodb-backend and must never reach a database.
MONGODB_CONTRACT_URI := mongodb://127.0.0.1:1/shop?serverSelectionTimeoutMS=200
HOST ?= 127.0.0.1
PORT ?= 8000
# Where `make serve` has nginx listen.
SERVE_LISTEN ?= 127.0.0.1:8080

.PHONY: run serve test test-mongo-contract lint format migrations constraints bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

## constraints: re-pin every transitive dependency after a change to requirements.txt
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet -r requirements.txt
	{ echo "# Exact versions of every package requirements.txt pulls in, so a new machine installs what CI tested."; \
	  echo "# Regenerate after changing requirements.txt: make constraints"; \
	  .venv-constraints/bin/pip freeze; } > constraints.txt
	rm -rf .venv-constraints

## run: set up .venv, migrate, create the demo staff user and catalog, serve on :8000
run: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py ensure_demo_staff
	DJANGO_DEBUG=1 $(PY) manage.py load_demo_catalog
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

## serve: run the shop as in production on this machine: migrate, collectstatic, gunicorn (deploy/gunicorn.conf.py) behind nginx on http://$(SERVE_LISTEN)/
serve: $(STAMP)
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || apt-get install -y nginx || (apt-get update && apt-get install -y nginx)
	$(PY) -m deploy.stack --listen $(SERVE_LISTEN)

## test: the OpenAPI schema check, the MongoDB contract pass (unless MONGODB_URI names a real server), then the whole suite
# Without a server, the contract pass records every query site it compiles and the
# SQLite pass fails on a site it ran that was never compiled (shop/testing/query_sites.py).
test: $(STAMP)
	DJANGO_SETTINGS_MODULE=shop.settings_test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
ifeq ($(strip $(MONGODB_URI)),)
	SHOP_QUERY_SITES=record $(MAKE) --no-print-directory test-mongo-contract
	SHOP_QUERY_SITES=check $(BIN)/pytest
else
	$(BIN)/pytest
endif

## test-mongo-contract: compile checks and migrations of the MongoDB profile, no server needed
test-mongo-contract: $(STAMP)
	MONGODB_URI='$(MONGODB_CONTRACT_URI)' $(BIN)/pytest -m mongo

## lint: ruff (lint rules and formatting)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## migrations: regenerate both migration sets (SQL and MongoDB) from the models
migrations: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations
	DJANGO_DEBUG=1 MONGODB_URI='$(MONGODB_CONTRACT_URI)' $(PY) -m shop.offline_makemigrations \
		admin auth contenttypes accounts catalog orders legacy notifications

## bench: load-test the API under gunicorn beside two floors (bench/, BENCHMARKS.md); not part of test
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles .serve
