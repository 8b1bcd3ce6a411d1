# The two commands a fresh machine needs: `make demo` and `make test`.
# Each creates .venv when it is missing and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: demo test lint bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-install when pyproject.toml changes.
$(VENV)/.run-deps: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.dev-deps: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-deps

demo: $(VENV)/.run-deps
	$(BIN)/zhengai demo

test: $(VENV)/.dev-deps
	$(PY) -m pytest -q

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy --strict src/ examples/embed_fastapi/app.py examples/nightly_job.py

$(VENV)/.bench-deps: pyproject.toml | $(VENV)/.dev-deps
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-deps
	$(PY) -m benchmarks

docs: $(VENV)/.dev-deps
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) build dist site .pytest_cache .mypy_cache .ruff_cache zhengai-demo
