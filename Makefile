# KAM Portal — the two commands a fresh machine needs:
#   make run    install, migrate, load the demo data, start web + Celery worker + beat
#   make test   run the test suite (PostgreSQL when DATABASE_URL is set, else SQLite)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall only when the dependency declarations change.
STAMP := $(VENV)/.installed

.PHONY: help install run test bench lint format messages constraints clean

help:
	@echo "make run       install, migrate, seed demo data, start web + worker + beat on http://127.0.0.1:8000"
	@echo "make test      run the tests (PostgreSQL if DATABASE_URL is set, SQLite otherwise)"
	@echo "make bench     benchmarks at volume on PostgreSQL (writes var/bench/latest.json)"
	@echo "make lint      ruff check, ruff format --check, makemigrations --check, mypy"
	@echo "make format    ruff format + ruff check --fix"
	@echo "make messages  update and compile the zh_Hans translations"
	@echo "make constraints  re-pin constraints.txt from what .venv has installed"
	@echo "make clean     remove the venv, var/ and caches"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	bash scripts/run

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) tests/benchmarks/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	@mkdir -p locale
	$(PY) manage.py makemessages --locale zh_Hans --ignore ".venv/*" --ignore "var/*" --ignore "node_modules/*"
	$(PY) manage.py compilemessages --locale zh_Hans --ignore ".venv/*"

# After adding or upgrading a dependency in pyproject.toml and installing it into .venv.
constraints: $(PY)
	{ echo '# Exact versions for reproducible installs: pip install -c constraints.txt -e ".[dev]"'; \
	  echo '# pyproject.toml keeps the lower bounds; regenerate with: make constraints'; \
	  $(PY) -m pip freeze --exclude-editable | grep -viE '^(kam-portal|pip|setuptools|wheel)==' \
	  | LC_ALL=C sort -f; } > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
