.DEFAULT_GOAL := help
.PHONY: help requirements test test-django test-pytest test-integration test-browser demo demo-check \
	quality bench bench-dispatch bench-pacing bench-check test-tutor tutor-frontend-tarball test-lms test-floors test-wheel test-frontend tox upgrade clean docs dist-check FORCE

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
# A Python the project supports: 3.11 or newer.
supported = $(shell $(1) -c 'import sys; print(int(sys.version_info >= (3, 11)))' 2>/dev/null)
PIP_COMPILE := pip-compile -q --upgrade --allow-unsafe --no-emit-index-url --no-emit-find-links --strip-extras
export PYTHONPATH := $(CURDIR)
export DJANGO_SETTINGS_MODULE := test_settings

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "%-17s %s\n", $$1, $$2}'

# A .venv whose Python is older than 3.11 (or no longer runs) is made again, whatever its age.
$(VENV)/.installed: $(REQUIREMENTS) setup.py $(if $(wildcard $(VENV)/pyvenv.cfg),$(if $(filter 1,$(call supported,$(BIN)/python)),,FORCE))
	@test "$(call supported,$(PYTHON))" = 1 || { echo "This project needs Python 3.11 or newer;" \
		"$(PYTHON) is $$($(PYTHON) --version 2>&1 | head -n1). Pass one: make $(MAKECMDGOALS) PYTHON=python3.12" >&2; exit 1; }
	@if [ -e $(VENV)/pyvenv.cfg ] && [ "$(call supported,$(BIN)/python)" != 1 ]; then \
		echo "$(VENV) was made by an unsupported Python: replacing it"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(addprefix -r ,$(REQUIREMENTS))
	$(BIN)/pip install -q --no-deps -e .
	touch $@

requirements: $(VENV)/.installed ## create the virtualenv and install what the tests need

test: $(VENV)/.installed ## run the suite once (pytest) and report the package's line coverage, failing under its floor
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

test-django: $(VENV)/.installed ## the same suite with django-admin test (any environment with requirements/test.txt)
	$(BIN)/django-admin test

test-pytest: $(VENV)/.installed ## the same suite with pytest, without measuring coverage
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

.venv-tutor/.installed: requirements/tutor.txt tutor-contrib-periodic-reports/pyproject.toml
	$(PYTHON) -m venv .venv-tutor
	.venv-tutor/bin/pip install -q --upgrade pip
	.venv-tutor/bin/pip install -q -r requirements/tutor.txt
	.venv-tutor/bin/pip install -q --no-deps -e tutor-contrib-periodic-reports
	touch $@

# The front-end package's tarball, shipped in the Tutor package for the MFE image (npm pack builds dist/ first).
TUTOR_MFE_DIR := tutor-contrib-periodic-reports/tutor_periodic_reports/mfe
tutor-frontend-tarball: ## pack frontend/ into the Tutor package (before building it or running test-tutor)
	rm -f $(TUTOR_MFE_DIR)/*.tgz
	cd frontend && npm ci --no-audit --no-fund && npm pack --pack-destination ../$(TUTOR_MFE_DIR)

test-tutor: .venv-tutor/.installed tutor-frontend-tarball ## render Tutor's files with the Tutor plugin package enabled and check them
	.venv-tutor/bin/pytest tests/tutor

.venv-docs/.installed: requirements/doc.txt
	$(PYTHON) -m venv .venv-docs
	.venv-docs/bin/pip install -q --upgrade pip
	.venv-docs/bin/pip install -q -r requirements/doc.txt
	touch $@

docs: .venv-docs/.installed ## build the documentation site into docs/_build/html (warnings are errors)
	.venv-docs/bin/sphinx-build -q -W --keep-going -b html docs docs/_build/html

dist-check: .venv-docs/.installed ## build both packages (sdist and wheel) into dist/ and twine check them
	rm -rf dist build tutor-contrib-periodic-reports/build
	.venv-docs/bin/python -m build -q -o dist .
	.venv-docs/bin/python -m build -q -o dist tutor-contrib-periodic-reports
	.venv-docs/bin/twine check --strict dist/*

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

.venv-floors/.installed: requirements/floors.txt requirements/test-tools.in setup.py
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: set PYTHON311" >&2; exit 1; }
	$(PYTHON311) -m venv .venv-floors
	.venv-floors/bin/pip install -q --upgrade pip
	.venv-floors/bin/pip install -q -r requirements/floors.txt -c requirements/floors.txt -r requirements/test-tools.in
	.venv-floors/bin/pip install -q --no-deps -e .
	touch $@

test-floors: .venv-floors/.installed ## the suite on sqlite with the lowest versions constraints.txt allows (Python 3.11)
	.venv-floors/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version'
	.venv-floors/bin/django-admin test

test-wheel: $(VENV)/.installed ## build the sdist and wheel, install the wheel in a fresh virtualenv, check the admin's files
	$(BIN)/python tests/package/check_wheel.py

tox: ## tox with the Python 3.11 and 3.12 found here (TOX_ARGS="-e lms", "-e floors"; tox on PATH)
	@test -n "$(PYTHON311)" -a -n "$(PYTHON312)" || { echo "Python 3.11 or 3.12 not found: set PYTHON311, PYTHON312" >&2; exit 1; }
	PYTHON311="$(PYTHON311)" PYTHON312="$(PYTHON312)" tox $(TOX_ARGS)


test-frontend: ## the dashboard tab's package (frontend/): npm ci, type check, jest
	cd frontend && npm ci --no-audit --no-fund && npm test

demo: $(VENV)/.installed frontend/host/dist/index.html ## run the admin, the course team's tab, one beat and one worker on sqlite; prints where to look
	$(BIN)/python demo/run.py

demo-check: $(VENV)/.installed ## run the demo until reports exist in all three folder structures
	$(BIN)/python demo/run.py --check --port $(DEMO_CHECK_PORT)

bench: bench-dispatch bench-pacing ## both benchmarks below, with their defaults

bench-dispatch: $(VENV)/.services ## the dispatcher against the platform's own submissions, on PostgreSQL and MariaDB
	$(BIN)/python benchmarks/dispatch.py $(BENCH_ARGS)

bench-pacing: $(VENV)/.services ## a dashboard report's wait while a schedule runs, with the cap off and on (real workers)
	$(BIN)/python benchmarks/pacing.py $(PACING_ARGS)

# 40 courses of 0.5 s reports on 2 worker processes, cap 2: fails when the plugin's reports in
# flight exceed the cap or a dashboard report waits longer than the bound (benchmarks/pacing.py).
bench-check: $(VENV)/.services ## the pacing benchmark, small: fails when the cap or the dashboard's bound is broken
	$(BIN)/python benchmarks/pacing.py --check --courses 40 --workers 2 --caps 2 --report-seconds 0.5 \
		--dashboard-after 2 $(PACING_ARGS)

quality: $(VENV)/.installed ## lint
	$(BIN)/ruff check --no-cache .

upgrade: ## re-pin requirements/*.txt from requirements/*.in (lms.txt under Python 3.12, as the LMS's)
	$(BIN)/pip install -q pip-tools
	for f in base test quality ci dev browser tutor doc; do \
		$(BIN)/$(PIP_COMPILE) -o requirements/$$f.txt requirements/$$f.in; \
	done
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found: set PYTHON312" >&2; exit 1; }
	$(PYTHON312) -m venv .venv-pip-tools-py312
	.venv-pip-tools-py312/bin/pip install -q pip-tools
	for f in lms; do \
		.venv-pip-tools-py312/bin/$(PIP_COMPILE) -o requirements/$$f.txt requirements/$$f.in; \
	done

FORCE:

clean: ## remove the virtualenvs and build output
	rm -rf $(VENV) .venv-* build dist *.egg-info .pytest_cache docs/_build tutor-contrib-periodic-reports/build \
		tutor-contrib-periodic-reports/*.egg-info frontend/node_modules frontend/dist frontend/host/dist
