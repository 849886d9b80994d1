# Two commands: `make run` (the product with a demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench setup test-deps lint messages

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED)

# Starts the web server and one worker together; Ctrl-C stops both. The worker runs in a
# session of its own, so that it gets exactly one signal (from the trap), not a second one
# from the terminal while it shuts down.
run: setup
	@export DEBUG=$${DEBUG:-1}; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/ && \
	{ setsid $(PY) manage.py qcluster & worker=$$!; \
	  trap 'trap - INT TERM EXIT; kill -TERM $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	  echo; echo "  Ablage läuft auf http://$(HOST):$(PORT)/  (Strg-C beendet Web-Server und Worker)"; echo; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT); }

# What the tests need from the system: Dovecot (IMAP) and Chromium (browser tests).
test-deps:
	@missing=""; \
	command -v dovecot >/dev/null || missing="$$missing dovecot-core dovecot-imapd"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing from Debian's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: setup test-deps
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup test-deps
	$(PY) tests/benchmarks/run.py $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Regenerates and compiles the translations (needs GNU gettext; the compiled files are committed).
messages: setup
	DEBUG=1 $(PY) manage.py makemessages -l de -l en --ignore '.venv/*' --ignore 'data/*'
	DEBUG=1 $(PY) manage.py compilemessages --ignore '.venv/*'
