# Thin entry points. Each target creates .venv (Python 3.11) and installs the project when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check equivalence lab hub release benchmark clean system-packages

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(MAKE) --no-print-directory system-packages
	@$(MAKE) --no-print-directory $(PROXY)
	touch $(STAMP)

# System packages: Graphviz's `dot` draws model pictures (keras.utils.plot_model), Debian's
# Chromium runs the browser test, npm installs JupyterHub's proxy, PostgreSQL serves the tests'
# shared gradebook, bubblewrap sandboxes grading kernels. Installed with apt when running as
# root (CI, containers); otherwise a hint (the notebooks fall back to text without `dot`).
SYSTEM_PACKAGES := dot:graphviz chromium:chromium npm:npm pg_ctlcluster:postgresql bwrap:bubblewrap
system-packages:
	@for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $${pair##*:} >/dev/null; \
	  else echo "note: $${pair%%:*} not found: install the $${pair##*:} package"; fi; \
	done

# JupyterHub's proxy (`make hub`, tests/test_hub.py), from the npm registry into hub/node_modules.
PROXY := hub/node_modules/.bin/configurable-http-proxy
$(PROXY): hub/package.json
	@command -v npm >/dev/null || { echo "note: npm not found: install the npm package"; exit 0; }
	npm install --prefix hub --no-package-lock --no-audit --no-fund --silent

## demo: generate release/ from source/ and grade the bundled sample class
demo: $(STAMP)
	$(BIN)/autograder demo

## test: the whole test suite (what CI runs)
test: $(STAMP) $(PROXY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## check: the inner loop: ruff and the tests that start no kernel, nbgrader or browser
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 0 -m "not nbgrader and not browser"

## equivalence: every chapter's whole variant corpus, plain `nbgrader autograde` vs `autograder grade`
## (`make test` compares a fixed subset); prints per chapter the variants compared and the differences
equivalence: $(STAMP)
	$(BIN)/python -m pytest -n 0 -s tests/equivalence.py

## lab: JupyterLab on the student notebooks
lab: $(STAMP)
	JUPYTER_CONFIG_PATH=$(CURDIR)/lab $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR)/release \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

## hub: a demo class on JupyterHub at http://127.0.0.1:8000 (as root: makes Unix accounts)
HUB_PREFIX ?= /opt/keras-from-scratch-hub
hub: $(STAMP) $(PROXY)
	@[ "$$(id -u)" = 0 ] || { echo "make hub creates the class's Unix accounts and spawns servers as them: run it as root"; exit 1; }
	$(BIN)/python hub/setup_class.py --prefix $(HUB_PREFIX)
	@echo "JupyterHub for the class: http://127.0.0.1:8000 (log in with the logins above; Ctrl-C stops it)"
	cd $(HUB_PREFIX)/state && KERAS_COURSE_HUB=$(HUB_PREFIX) $(CURDIR)/$(BIN)/jupyterhub -f $(CURDIR)/hub/jupyterhub_config.py

## benchmark: plain nbgrader vs `autograder grade` (local Dask cluster), every chapter, 24 mixed
## submissions each (also with --every-cell); then classes of 100 and 1,000 submissions: throughput, client's peak memory
benchmark: $(STAMP)
	$(BIN)/python benchmarks/grading_speed.py --every-cell
	$(BIN)/python benchmarks/class_size.py --sizes 100 1000

## release: regenerate release/ from source/ with nbgrader
release: $(STAMP)
	$(BIN)/autograder release

clean:
	rm -rf submitted autograded feedback reports gradebook.db .autograder .pytest_cache
