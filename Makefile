# Two commands: `make run` brings the whole system up; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint pytest install clean chaos bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/complaints dev

test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

pytest: $(STAMP)
	$(BIN)/python -m pytest

# The chaos benchmark (issue 14): N complaints through every path while the worker is SIGKILLed
# every ~10 s and the dev server restarted twice; exits nonzero if an invariant fails.
N ?= 500
chaos: $(STAMP)
	$(BIN)/python benchmarks/chaos.py --complaints $(N) --kill-every 10 --server-restarts 2

# The speed benchmarks (issue 15), each next to a bare Temporal baseline in the same run; the
# latest tables are in benchmarks/RESULTS.md.
bench: $(STAMP)  # about two and a half hours on 2 cores; the tables are in benchmarks/RESULTS.md
	$(BIN)/python benchmarks/lifecycle.py --complaints 150 --rounds 2
	$(BIN)/python benchmarks/scale_out.py --complaints 200 --workers 1 --workers 2 --workers 4
	$(BIN)/python benchmarks/first_contact.py --rate 5 --rate 20 --rate 50 --duration 60 --backlog 2000 \
		--grace 120 --drain 300 --workers 1 --workers 2
	$(BIN)/python benchmarks/open_cases.py --cases 10000 --due 500
	$(BIN)/python benchmarks/open_cases.py --cases 10000 --due 500 --postgres
	$(BIN)/python benchmarks/pending_queue.py --cases 10000 --waiting 3000 --narrow
	$(BIN)/python benchmarks/incident_fanout.py --customers 10000 --workers 1 --workers 2
	$(BIN)/python benchmarks/reports.py --cases 100000
	$(BIN)/python benchmarks/regulator_return.py --cases 100000
	$(BIN)/python benchmarks/regulator_return.py --cases 100000 --postgres postgresql://127.0.0.1/test

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache *.egg-info
