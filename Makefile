# One isolated environment (.venv) for everything; each target installs it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PRESET ?= quick

.PHONY: install demo test lint format bench reports readme clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: install  ## Train every project (quick preset); reports and their index in runs/reports/.
	$(BIN)/python -m projects all --preset $(PRESET)

test: install  ## Lint, then the whole test suite (one worker per core).
	$(BIN)/ruff check common projects benchmarks tests
	$(BIN)/python -m pytest -q -n auto

lint: install
	$(BIN)/ruff check common projects benchmarks tests
	$(BIN)/ruff format --check common projects benchmarks tests

format: install
	$(BIN)/ruff format common projects benchmarks tests
	$(BIN)/ruff check --fix common projects benchmarks tests

bench: install  ## Benchmarks with the keras-io baselines; JSON and tables under benchmarks/results/.
	$(BIN)/python -m benchmarks all

reports: install  ## Regenerate every published report in reports/ (full presets; hours on a laptop).
	$(BIN)/python -m projects all --preset full --out reports --jobs 1  # Honest timings: one at a time.
	$(BIN)/python -m projects.image_classification --preset full --set dataset=cifar10 \
		--set ablations= --out reports/cifar10
	$(BIN)/python -m projects.denoising_autoencoder --preset quick --set dataset=cifar10 \
		--out reports/cifar10
	$(BIN)/python -m projects readme

readme: install  ## Rewrite README.md's results table from reports/ and benchmarks/results/.
	$(BIN)/python -m projects readme

clean:
	rm -rf runs .pytest_cache .ruff_cache
