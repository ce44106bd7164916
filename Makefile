# Two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench gallery browser fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned exactly: a CPU build lies on these machines, an unpinned torch pulls several GB.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/latentatlas datasets
	$(BIN)/latentatlas atlas --quick --out atlas

# The explorer's browser tests drive Debian's chromium (Playwright's own browser download needs
# the internet, which CI does not have); where it cannot be installed they are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || echo "make test: apt-get could not install chromium; the explorer's browser tests will be skipped"; \
	  else echo "make test: chromium is missing and cannot be installed here (apt-get as root); the explorer's browser tests will be skipped"; fi; }

test: $(STAMP) browser
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks tools
	$(BIN)/ruff check --fix src tests benchmarks tools

bench: $(STAMP)
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/silhouette.py
	$(BIN)/python benchmarks/explorer_decode.py
	$(BIN)/python benchmarks/inspect_60k.py

# Regenerates the README's gallery (figures, tables, numbers) from real study runs: about
# 30 minutes on 2 CPU cores the first time; finished studies are reused afterwards.
gallery: $(STAMP)
	$(BIN)/python tools/gallery.py

# The nightly-size fuzz suite (docs/reliability.md): every fuzz property of tests/reliability
# with ten times its CI examples, over 10,000 cases in all; prints the cases, results, clean
# refusals, tracebacks, hangs and leftovers per surface and writes them to build/fuzz.json.
fuzz: $(STAMP)
	mkdir -p build && LATENTATLAS_FUZZ=nightly LATENTATLAS_FUZZ_REPORT=build/fuzz.json \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/reliability -k fuzz

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .ruff_cache
