.DEFAULT_GOAL := help
.PHONY: help requirements test test-django test-pytest test-integration test-browser demo demo-check \
	quality bench test-tutor test-lms test-floors test-frontend upgrade clean

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQUIREMENTS ?= requirements/test.txt requirements/quality.txt
INTEGRATION_DBS ?= postgres mysql
DEMO_CHECK_PORT ?= 0
LMS_TEST_DBS ?= sqlite mysql
# The first Python X.Y that runs, looked for where .ci/run looks (the pyenv shim alone may not run).
find_python = $(firstword $(foreach p,python$(1) $(wildcard /root/.pyenv/versions/$(1).*/bin/python$(1)) \
	/usr/bin/python$(1),$(if $(shell $(p) --version 2>/dev/null),$(p))))
PYTHON311 ?= $(call find_python,3.11)
PYTHON312 ?= $(call find_python,3.12)
PIP_COMPILE := pip-compile -q --upgrade --allow-unsafe --no-emit-index-url --no-emit-find-links --strip-extras
export PYTHONPATH := $(CURDIR)
export DJANGO_SETTINGS_MODULE := test_settings

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "%-17s %s\n", $$1, $$2}'

$(VENV)/.installed: $(REQUIREMENTS) setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(addprefix -r ,$(REQUIREMENTS))
	$(BIN)/pip install -q --no-deps -e .
	touch $@

requirements: $(VENV)/.installed ## create the virtualenv and install what the tests need

test: $(VENV)/.installed ## run the whole suite with django-admin test, then with pytest
	$(BIN)/django-admin test
	$(BIN)/pytest

test-django: $(VENV)/.installed ## the documented command: django-admin test
	$(BIN)/django-admin test

test-pytest: $(VENV)/.installed ## the same suite under pytest
	$(BIN)/pytest

# The drivers of PostgreSQL and MariaDB and Redis's transport, for what runs on those services.
$(VENV)/.services: $(VENV)/.installed requirements/ci.txt
	$(BIN)/pip install -q -r requirements/ci.txt
	touch $@

test-integration: $(VENV)/.services ## beat + worker over Redis on PostgreSQL and MariaDB (needs the services)
	for db in $(INTEGRATION_DBS); do PIR_IT_DB=$$db $(BIN)/pytest tests/integration || exit 1; done

$(VENV)/.browser: $(VENV)/.installed requirements/browser.txt
	$(BIN)/pip install -q -r requirements/browser.txt
	touch $@

# The host page of the course team's tab (frontend/host, built with Vite), served by the demo.
HOST_PAGE_SOURCES := $(shell find frontend/src frontend/host frontend/stand-in -type f -not -path '*/dist/*' 2>/dev/null) \
	frontend/package.json frontend/package-lock.json
frontend/host/dist/index.html: $(HOST_PAGE_SOURCES)
	cd frontend && npm ci --no-audit --no-fund && npm run build:host

test-browser: $(VENV)/.browser frontend/host/dist/index.html ## the admin and the course team's tab in Chromium (/usr/bin/chromium) against the live demo
	$(BIN)/pytest tests/browser

.venv-tutor/.installed: requirements/tutor.txt
	$(PYTHON) -m venv .venv-tutor
	.venv-tutor/bin/pip install -q --upgrade pip
	.venv-tutor/bin/pip install -q -r requirements/tutor.txt
	touch $@

test-tutor: .venv-tutor/.installed ## render Tutor's files with deploy/tutor's beat plugin and check them
	.venv-tutor/bin/pytest tests/tutor

.venv-lms/.installed: requirements/lms.txt requirements/lms-constraints.txt setup.py
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: set PYTHON312" >&2; exit 1; }
	$(PYTHON312) -m venv .venv-lms
	.venv-lms/bin/pip install -q --upgrade pip
	.venv-lms/bin/pip install -q -r requirements/lms.txt -c requirements/lms-constraints.txt
	.venv-lms/bin/pip install -q --no-deps -e .
	touch $@

test-lms: .venv-lms/.installed ## the suite on Python 3.12 with the LMS's pinned versions, on sqlite and MariaDB
	.venv-lms/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12), sys.version'
	for db in $(LMS_TEST_DBS); do echo "== PIR_TEST_DB=$$db"; PIR_TEST_DB=$$db .venv-lms/bin/django-admin test || exit 1; done

.venv-floors/.installed: requirements/floors.txt setup.py
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: set PYTHON311" >&2; exit 1; }
	$(PYTHON311) -m venv .venv-floors
	.venv-floors/bin/pip install -q --upgrade pip
	.venv-floors/bin/pip install -q -r requirements/floors.txt -c requirements/floors.txt pytest pytest-django ddt \
		bridgekeeper hypothesis
	.venv-floors/bin/pip install -q --no-deps -e .
	touch $@

test-floors: .venv-floors/.installed ## the suite on sqlite with the lowest versions constraints.txt allows (Python 3.11)
	.venv-floors/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'
	.venv-floors/bin/django-admin test

test-frontend: ## the dashboard tab's package (frontend/): npm ci, type check, jest
	cd frontend && npm ci --no-audit --no-fund && npm test

demo: $(VENV)/.installed frontend/host/dist/index.html ## run the admin, the course team's tab, one beat and one worker on sqlite; prints where to look
	$(BIN)/python demo/run.py

demo-check: $(VENV)/.installed ## run the demo until reports exist in all three folder structures
	$(BIN)/python demo/run.py --check --port $(DEMO_CHECK_PORT)

bench: $(VENV)/.services ## the dispatcher against the platform's own submissions, on PostgreSQL and MariaDB
	$(BIN)/python benchmarks/dispatch.py $(BENCH_ARGS)

quality: $(VENV)/.installed ## lint
	$(BIN)/ruff check --no-cache .

upgrade: ## re-pin requirements/*.txt from requirements/*.in (lms.txt under Python 3.12, as the LMS's)
	$(BIN)/pip install -q pip-tools
	for f in base test quality ci dev browser tutor; do \
		$(BIN)/$(PIP_COMPILE) -o requirements/$$f.txt requirements/$$f.in; \
	done
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: set PYTHON312" >&2; exit 1; }
	$(PYTHON312) -m venv .venv-pip-tools-py312
	.venv-pip-tools-py312/bin/pip install -q pip-tools
	for f in lms; do \
		.venv-pip-tools-py312/bin/$(PIP_COMPILE) -o requirements/$$f.txt requirements/$$f.in; \
	done

clean: ## remove the virtualenvs and build output
	rm -rf $(VENV) .venv-* build dist *.egg-info .pytest_cache frontend/node_modules frontend/dist frontend/host/dist
