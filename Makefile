# Two commands for a newcomer: `make run` and `make test`. Both do the whole set-up.
# `make serve` is the production server for a team (gunicorn, see config/gunicorn.py).
PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
VENDOR := static/vendor

CLIENT_SOURCES := client/pyproject.toml $(wildcard client/lineage_client/*.py)

.PHONY: setup client dist run serve test lint chromium

setup: $(VENV)/.installed $(VENV)/.client $(VENDOR)/.copied
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The server's virtualenv installs the client from client/ like any user would (not the
# source tree on sys.path), so the tests exercise the installed package. Editing the
# client then `make client` (or `make test`) reinstalls it.
$(VENV)/.client: $(VENV)/.installed $(CLIENT_SOURCES)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
	   --force-reinstall ./client
	touch $@

client: $(VENV)/.client

# dist/: the client's wheel, for training machines (`pip install lineage_client-*.whl`).
# The server itself is not a pip package: it runs from its checkout (make run / make serve).
dist: $(VENV)/.installed
	rm -rf dist
	$(VENV)/bin/pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
	   --wheel-dir dist ./client
	@ls dist/*.whl

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser libraries (the graph's, htmx, and Swagger UI for /api/v1/docs) are served by
# whitenoise from static/vendor/ (git-ignored), so no page needs the internet; the
# source map goes along because collectstatic checks every file a script names.
$(VENDOR)/.copied: node_modules/.installed Makefile
	mkdir -p $(VENDOR)
	cp node_modules/cytoscape/dist/cytoscape.min.js \
	   node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js \
	   node_modules/cytoscape-dagre/dist/cytoscape-dagre.min.js.map \
	   node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   node_modules/swagger-ui-dist/swagger-ui-bundle.js.map \
	   node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/swagger-ui.css.map $(VENDOR)/swagger-ui/
	touch $@

run: setup
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://127.0.0.1:$(PORT)/ (demo login: demo / demo)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# gunicorn, DEBUG off; BIND (default 0.0.0.0:8000), WEB_CONCURRENCY, WEB_THREADS and the
# settings in the README from the environment. Migrations run first, as in `make run`.
serve: setup
	DEBUG=0 $(VENV)/bin/gunicorn --config config/gunicorn.py config.wsgi

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

test: setup chromium
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
