.DEFAULT_GOAL := help
.PHONY: help requirements test test-django test-pytest test-integration test-browser demo demo-check \
	quality bench test-tutor upgrade clean

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQUIREMENTS ?= requirements/test.txt requirements/quality.txt
INTEGRATION_DBS ?= postgres mysql
DEMO_CHECK_PORT ?= 0
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

test-integration: $(VENV)/.installed ## beat + worker over Redis on PostgreSQL and MariaDB (needs the services)
	for db in $(INTEGRATION_DBS); do PIR_IT_DB=$$db $(BIN)/pytest tests/integration || exit 1; done

$(VENV)/.browser: $(VENV)/.installed requirements/browser.txt
	$(BIN)/pip install -q -r requirements/browser.txt
	touch $@

test-browser: $(VENV)/.browser ## the admin in Chromium (/usr/bin/chromium) against the live demo
	$(BIN)/pytest tests/browser

.venv-tutor/.installed: requirements/tutor.txt
	$(PYTHON) -m venv .venv-tutor
	.venv-tutor/bin/pip install -q --upgrade pip
	.venv-tutor/bin/pip install -q -r requirements/tutor.txt
	touch $@

test-tutor: .venv-tutor/.installed ## render Tutor's files with deploy/tutor's beat plugin and check them
	.venv-tutor/bin/pytest tests/tutor

demo: $(VENV)/.installed ## run the admin, one beat and one worker on sqlite; prints where to look
	$(BIN)/python demo/run.py

demo-check: $(VENV)/.installed ## run the demo until reports exist in all three folder structures
	$(BIN)/python demo/run.py --check --port $(DEMO_CHECK_PORT)

bench: $(VENV)/.installed ## print dispatch and write costs against bare baselines (ratios, peak memory)
	$(BIN)/python benchmarks/dispatch.py

quality: $(VENV)/.installed ## lint
	$(BIN)/ruff check --no-cache .

upgrade: ## re-pin requirements/*.txt from requirements/*.in
	$(BIN)/pip install -q pip-tools
	for f in base test quality ci dev browser tutor; do \
		$(BIN)/pip-compile -q --upgrade --allow-unsafe --no-emit-index-url --no-emit-find-links \
			--strip-extras -o requirements/$$f.txt requirements/$$f.in; \
	done

clean: ## remove the virtualenvs and build output
	rm -rf $(VENV) .venv-* build dist *.egg-info .pytest_cache
