# The two commands of the README:
#   make book   set everything up and build the book   -> _build/html/index.html and its PDF edition
#   make test   set everything up and run every test   (what CI runs, via .ci/run)
# Both create .venv from the pinned lock file; nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements/bootstrap.txt requirements/lock.txt pyproject.toml | sha256sum | cut -c1-16)

.PHONY: book test check lint setup system-deps lock bench clean
.DEFAULT_GOAL := book

# The web book and its PDF edition (printed by headless Chromium, installed by system-deps when missing). While
# editing, `.venv/bin/alsmsc build` rebuilds the web book alone, in seconds.
book: setup system-deps
	$(BIN)/alsmsc build --pdf

test: setup system-deps lint
	$(BIN)/python -m pytest

# The fast lane for contributors: lint, the import contract, unit and data tests and the analysis notebooks; no book
# build, no browser (about 2 minutes on 2 cores). `make test` runs everything.
check: setup lint
	$(BIN)/python -m pytest -m "not slow and not browser"

# ruff (lint and format) and the layer contract of pyproject.toml
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

setup: $(STAMP)

$(STAMP): requirements/bootstrap.txt requirements/lock.txt pyproject.toml scripts/bootstrap.sh
	PYTHON=$(PYTHON) bash scripts/bootstrap.sh $(VENV)
	touch $@

# Debian packages the tests need (headless Chromium); installed when missing and this user can install packages.
system-deps:
	bash scripts/system-deps.sh

# Re-pin every dependency after editing pyproject.toml, with the hash of every file (installs use --require-hashes).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header --no-annotate --generate-hashes -o requirements/lock.txt
	echo "uv==$$($(BIN)/uv --version | cut -d' ' -f2)" | $(BIN)/uv pip compile - --python-version 3.11 --no-header --no-annotate --generate-hashes -o requirements/bootstrap.txt

# One run, side by side: the meta-analysis engine against metafor (k = 10 to 10^6, import time), the edit loop, and
# cold builds at 1x, 10x and 100x the data with the cell-time floor. Takes about 20 minutes.
bench: setup system-deps
	$(BIN)/python benchmarks/bench_meta.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_growth.py 1 10 100

clean:
	rm -rf _build
