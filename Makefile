# The commands the README uses. `make run` and `make test` work on a fresh machine
# with Python 3.11: they create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The second pass of the suite runs on PostgreSQL; `make test` starts the local server if it is down.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install install-dev run worker test test-sqlite test-postgres lint precommit format migrations-check browser gettext messages bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A local .env with a fresh secret key: nothing to set up for development.
.env:
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env for local development (see .env.example for every setting)."

run: install .env
	$(PY) manage.py migrate --noinput
	@echo ""
	@echo "Eventgallery on http://127.0.0.1:$(PORT)/ with its background workers. Ctrl+C stops them all."
	@echo "Create an organizer account for /admin/ with:  $(PY) manage.py createsuperuser"
	@echo ""
	@# Both run in the background and the shell waits for them: a shell runs its traps
	@# only between commands, never while one runs in the foreground. A TERM (sent to
	@# make, which passes it to this shell, or to the shell) is passed on to both.
	@# Ctrl+C reaches the worker (it handles INT); the server, which ignores INT as a
	@# background job, is sent a TERM. A worker signalled once finishes its task; a second
	@# signal would cut it short, so it is sent none. The workers (one per core: a pool,
	@# ops/worker_pool.py) do not reload on code changes: a pool of reloaders could not be
	@# stopped cleanly. Stop and start `make run` after changing a task.
	@$(PY) manage.py run_worker --no-reload & worker=$$!; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT) & server=$$!; \
	stopping=; \
	trap 'stopping=1; kill $$server 2>/dev/null' INT; \
	trap 'stopping=1; kill $$server $$worker 2>/dev/null' TERM; \
	wait $$server; \
	[ -n "$$stopping" ] || kill $$worker 2>/dev/null; \
	wait $$server; wait $$worker

worker: install
	$(PY) manage.py run_worker

test: install-dev browser gettext lint migrations-check test-sqlite test-postgres

test-sqlite: install-dev
	@echo "== test suite on SQLite"
	$(PY) -m pytest

test-postgres: install-dev
	@echo "== test suite on PostgreSQL"
	@bin/ensure-postgres "$(TEST_POSTGRES_URL)"
	DATABASE_URL="$(TEST_POSTGRES_URL)" $(PY) -m pytest

# The hooks of .pre-commit-config.yaml (ruff lint and format, django-upgrade, large files,
# private keys) over every tracked file; all run from .venv, offline.
lint: install-dev
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

# Runs the same hooks on the staged files before each `git commit`.
precommit: install-dev
	$(VENV)/bin/pre-commit install

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install-dev
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# GNU gettext for the test that the translations are up to date with the sources
# (the site itself reads the committed .mo files and needs none).
gettext:
	@bin/install-gettext

# After changing a guest-facing string: the .po files of every language, and their .mo.
messages: install-dev gettext
	DEBUG=true $(PY) manage.py guest_messages

# Debian's Chromium and ChromeDriver for the browser test (Playwright drives /usr/bin/chromium).
browser:
	@command -v chromium >/dev/null || bin/install-chromium

bench: install-dev
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@bin/install-wrk
	$(PY) bench/derivatives.py
	$(PY) bench/gallery_page.py

clean:
	rm -rf $(VENV) staticfiles
