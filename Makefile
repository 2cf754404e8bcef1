# Fresh machine: `make demo` sets up and runs the demo, `make test` sets up and runs the tests,
# `make serve` the web page (http://127.0.0.1:8000/; `make serve PORT=8080` for another port).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: setup demo serve test lint bench clean

setup: $(STAMP)

# torch is pinned: a bare `torch` pulls the CUDA build; 2.13.0 is the CPU build here.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mudar demo --out mudar-demo

serve: $(STAMP)
	$(VENV)/bin/mudar serve --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_rhythm.py

clean:
	rm -rf $(VENV) mudar-demo .pytest_cache
