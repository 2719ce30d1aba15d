# The two commands a newcomer runs: `make demo` and `make test`. Both build .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench soak screenshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import foureyes, rapidocr, onnxruntime, av" 
	@touch $@

demo: $(STAMP)
	rm -rf runs/demo
	$(BIN)/foureyes demo --out runs/demo

# The dashboard's browser test drives Debian's Chromium through its ChromeDriver.
BROWSER := /usr/bin/chromedriver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BROWSER):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null

test: $(STAMP) $(BROWSER)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/accuracy.py

soak: $(STAMP)
	$(BIN)/python bench/soak.py

# Refresh the README's dashboard pictures from the browser test.
screenshots: $(STAMP) $(BROWSER)
	FOUREYES_SCREENSHOTS=$(CURDIR)/docs $(BIN)/pytest -q tests/server/test_browser.py

clean:
	rm -rf $(VENV) runs bench/out .pytest_cache .mypy_cache .ruff_cache
