# Every target sets up its own virtual environment from scratch if needed:
# a fresh machine needs only Python 3, pip and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo lint test test-slow bench bench-dask docs docs-check clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs the package (editable) with its test and demo extras.
$(VENV)/.stamp-install: $(BIN)/activate pyproject.toml
	$(PY) -m pip install --quiet -e ".[test,demo]"
	touch $@

$(VENV)/.stamp-bench: $(VENV)/.stamp-install
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $@

$(VENV)/.stamp-docs: $(VENV)/.stamp-install
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

demo: $(VENV)/.stamp-install
	$(PY) -m sklogloss.demo

# Style and static checks (ruff, configured in pyproject.toml); part of `make test`.
lint: $(VENV)/.stamp-install
	$(BIN)/ruff check sklogloss tests benchmarks examples docs/conf.py

test: lint
	$(PY) -m pytest -q

test-slow: $(VENV)/.stamp-install
	$(PY) -m pytest -q -m slow

bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/run.py
	$(PY) benchmarks/designs.py

# Our distributed fit against dask-ml's LogisticRegression on one LocalCluster (127.0.0.1).
bench-dask: $(VENV)/.stamp-bench
	$(PY) benchmarks/dask_bench.py

docs: $(VENV)/.stamp-docs
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# The built site in headless Chromium (Debian's, installed if missing): the landing page, the
# gallery index and one example; screenshots in docs/_build/screenshots/. Fails on a blank page
# or an image that did not load. Not part of `make test`.
docs-check: docs
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	$(PY) docs/check_site.py --chromium /usr/bin/chromium

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated *.egg-info
