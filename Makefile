# `make demo` and `make test` set themselves up; a second run only checks stamps.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
# System packages the runners and the sandbox need (Debian names).
APT_PACKAGES := bubblewrap catch2 libboost-date-time-dev libtbb-dev
MINI   := polyglot_hrm/data/mini_benchmark
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup test test-fast demo clean apt

setup: $(PIP_STAMP) $(APT_STAMP)
	@# Test-framework deps (Jest, JUnit, crates) into the runner cache; a no-op once done.
	$(VENV)/bin/polyglot-hrm setup-runners --benchmark-root $(MINI)

$(PIP_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# The ray extra too: tests/test_executors.py runs a two-node Ray cluster on this machine; rl: TRL (rewards, GRPO).
	$(PY) -m pip install -q -e '.[dev,ray,rl]'
	touch $@

$(APT_STAMP): Makefile
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

apt: $(APT_STAMP)

# Two workers, one test file each at a time (module fixtures run once); the longest files start first, in the order
# tests/conftest.py gives them (without --no-loadscope-reorder, xdist would order files by their number of tests and
# the longest, a single test, would start last). One OpenMP thread per worker: two workers on two cores, torch's
# second thread would only contend.
test: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The inner loop: everything but the tests marked slow (those run sandboxed builds or train models), spread over two
# workers one test at a time (these are short; a module's fixture may run in both workers).
test-fast: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 -m "not slow"

demo: setup
	@# Trains the tiny recipe and runs what it generates (sandboxed): the opt-in is given here, visibly.
	@# The mini-benchmark by name: an exported $$POLYGLOT_BENCHMARK_ROOT would otherwise be the demo's root.
	POLYGLOT_HRM_ALLOW_CODE_EXECUTION=1 OMP_NUM_THREADS=1 $(VENV)/bin/polyglot-hrm demo --benchmark-root $(MINI) \
	    --output-dir demo_output

clean:
	rm -rf $(VENV) demo_output build *.egg-info
