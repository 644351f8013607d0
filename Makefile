# convolab: `make test` and `make demo` work on a fresh machine with only Python and pip.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev
# `make demo` needs only the core and the compiled loops (Numba); `make test` adds the dev extras.
DEMO_STAMP := $(VENV)/.installed-demo
# The venv is this Makefile's own: let Python cache the bytecode of what it imports there, even
# where the environment says not to (with PYTHONDONTWRITEBYTECODE set, every process of the demo
# and of the tests compiled SciPy's, Matplotlib's and Numba's modules again: 3-4 s each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: test demo bench lint venv clean test-fast test-interop interop-deps lab docs

# The venv is made without a pip of its own: the pip that came with $(PYTHON) installs into it
# (`pip --python`, pip >= 22.3). Copying pip into a fresh venv took 5 of a fresh `make demo`'s
# 40 s. Where that pip is older, the venv gets its own pip after all.
$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade
# The venv's own pip when it has one, else the outer pip aimed at the venv.
PIP = $(if $(wildcard $(VENV)/bin/pip),$(PY) -m pip,$(PYTHON) -m pip --python $(PY))

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

# --no-compile: no .pyc for every module of every package up front (half of the install's
# CPU time); Python compiles the modules the demo imports when it first imports them.
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet --no-compile -e ".[fast]"
	touch $(DEMO_STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks

test: lint
	$(PY) -m pytest -n 2 -q

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -q -m "not slow"

# PyTorch (CPU) for the weight-exchange tests; without it those tests skip.
interop-deps: $(STAMP)
	$(PIP) install --quiet "torch==2.13.0"

test-interop: interop-deps lint
	$(PY) -m pytest -n 2 -q

demo: $(DEMO_STAMP)
	$(VENV)/bin/convolab demo --out demo-output

lab: $(STAMP)
	$(VENV)/bin/convolab lab

bench: interop-deps
	$(PIP) install --quiet -e ".[bench]"
	$(PY) benchmarks/conv.py
	$(PY) benchmarks/image.py
	$(PY) benchmarks/layers.py

# The documentation site, offline, into docs/_build/html; any Sphinx warning fails the build.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) demo-output build dist src/*.egg-info
	rm -rf docs/_build docs/api docs/tutorials docs/gallery docs/guide.rst docs/sg_execution_times.rst
