# One isolated environment (.venv) for everything; each target installs it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PRESET ?= quick

.PHONY: install demo test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: install  ## Train every project (quick preset) and write reports/index.html.
	$(BIN)/python -m projects all --preset $(PRESET)

test: install  ## Lint, then the whole test suite.
	$(BIN)/ruff check common projects benchmarks tests
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check common projects benchmarks tests
	$(BIN)/ruff format --check common projects benchmarks tests

format: install
	$(BIN)/ruff format common projects benchmarks tests
	$(BIN)/ruff check --fix common projects benchmarks tests

bench: install  ## Benchmarks with the keras-io baselines; JSON and tables under benchmarks/results/.
	$(BIN)/python -m benchmarks all

clean:
	rm -rf runs .pytest_cache .ruff_cache
