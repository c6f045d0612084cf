# The two commands of the README's quick start, and the pieces behind them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := .demo/events.sqlite

.PHONY: demo test test-dates chaos install install-test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installing is a file target: it runs again only when pyproject.toml changed since.
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

## demo: set everything up and open the dashboard on the sample data (a demo SQLite store)
demo: install
	@mkdir -p $(dir $(DEMO))
	$(BIN)/trustledger demo --store $(DEMO)

## test: install what the tests need (PostgreSQL, Chromium and poppler, OpenSSH's client
## included) and run the whole suite
test: install-test
	bash .ci/install-postgres
	bash .ci/install-browser
	bash .ci/install-ssh
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -q

## test-dates: the whole suite on two other days (libfaketime's faketime, Debian package
## "faketime"), to show that no test depends on the day it runs; not part of "make test"
FAKE_DAYS := 2027-06-01 2030-01-01

test-dates: install-test
	bash .ci/install-postgres
	bash .ci/install-browser
	bash .ci/install-ssh
	@command -v faketime >/dev/null || { echo "test-dates needs faketime (apt-get install faketime)"; exit 2; }
	@for day in $(FAKE_DAYS); do \
		echo "== the suite as if it were $$day"; \
		faketime -f "@$$day 00:00:00" $(BIN)/pytest -q || exit 1; \
	done

## chaos: the chaos suite at full strength: the fuzzers with ten times the inputs of
## "make test" (over 20,000, same fixed seed), more kill -9 points, then every chaos and
## hardening test; prints how many inputs each fuzzer ran. Not part of "make test".
CHAOS_TESTS := tests/test_fuzz_lines.py tests/test_fuzz_commands.py \
	$(wildcard tests/test_chaos_*.py) $(wildcard tests/test_hardening_*.py)

chaos: install-test
	bash .ci/install-postgres
	TRUSTLEDGER_CHAOS=full $(BIN)/python -m pytest -q -p tests.fuzz_support $(CHAOS_TESTS)

## lint: ruff, and the import-linter contracts that keep the layers apart
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

## typecheck: mypy over the installed layout (a link farm maps trustledger.* to the folders,
## since mypy cannot follow setuptools' editable import hook)
typecheck: install-test
	@mkdir -p .typecheck/trustledger
	@for d in domain projections tui sample_events; do ln -sfn ../../$$d .typecheck/trustledger/$$d; done
	MYPYPATH=.typecheck $(BIN)/mypy -p trustledger.domain -p trustledger.projections -p trustledger.tui

## bench: run every benchmark and print its figures
bench: install
	$(BIN)/python benchmarks/record_bench.py
	$(BIN)/python benchmarks/replay_bench.py
	$(BIN)/python benchmarks/verify_bench.py
	$(BIN)/python benchmarks/dashboard_bench.py
	$(BIN)/python benchmarks/pack_bench.py
	$(BIN)/python benchmarks/serve_bench.py
	$(BIN)/python benchmarks/terminal_bench.py

clean:
	rm -rf .demo .pytest_cache .ruff_cache
