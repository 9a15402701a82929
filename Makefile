# `make run` and `make test` each do the whole set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TRACKER := $(BIN)/tracker
VENDOR := static/vendor

.PHONY: run test setup python-deps js-deps vendor db demo lint bench bench-quick clean

run: setup db demo
	$(TRACKER) run --host 127.0.0.1 --port 5000

test: setup db demo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: python-deps js-deps vendor

python-deps: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

js-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Browser libraries come from npm through the lock file; only copies live under static/.
vendor: js-deps
	mkdir -p $(VENDOR)
	cp node_modules/sortablejs/modular/sortable.esm.js $(VENDOR)/sortable.esm.js
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)/socket.io.esm.min.js

db: python-deps
	$(TRACKER) db upgrade

demo: db
	$(TRACKER) seed-demo --if-empty

# Benchmarks print numbers (one table); they are not timed tests. See bench/run.py.
# BENCH_ARGS passes options on, e.g. BENCH_ARGS="--only 1 4 --profile /tmp/profiles".
bench: python-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: python-deps
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
