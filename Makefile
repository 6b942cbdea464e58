# The README's two commands: `make demo` and `make test`. Both do all set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: demo test setup tools venv regen bench clean

demo: setup
	$(BIN)/kserve-gitops synth
	$(BIN)/kserve-gitops synth --check
	$(BIN)/kserve-gitops validate

test: setup
	$(BIN)/python -m pytest -n 2 -q

setup: venv tools

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=..."; exit 3; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

tools:
	./scripts/install-tools.sh

# Refresh the committed output and the golden files after an intended change.
regen: setup
	$(BIN)/kserve-gitops synth
	$(BIN)/python -m pytest -q tests --update-golden -p no:xdist

# The fleet benchmark (N models x 3 environments, every stage timed); results in benchmarks/results-fleet.json.
bench: setup
	$(BIN)/python -m benchmarks.bench_fleet --models 100 1000 --repeat 3
	$(BIN)/python -m benchmarks.bench_schema --write
	$(BIN)/python -m benchmarks.bench_startup --write
	$(BIN)/python -m benchmarks.bench_policy
	$(BIN)/python -m benchmarks.bench_admission --write

clean:
	rm -rf $(VENV) .tools .pytest_cache
