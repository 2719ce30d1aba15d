# The two commands a newcomer runs: `make demo` and `make test`. Both build .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench bench-heldout bench-slice bench-every-frame bench-long soak screenshots fonts clean

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

# The randomised boards (foureyes.demo.synth) draw their faces from every installed font:
# these Debian packages, so that a seed gives the same board on every machine.
FONT_PACKAGES := fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-liberation2 fonts-freefont-ttf \
	fonts-dseg fonts-roboto-unhinted fonts-roboto-slab fonts-open-sans fonts-lato \
	fonts-cantarell fonts-bebas-neue fonts-league-spartan fonts-b612 fonts-comfortaa \
	fonts-crosextra-carlito fonts-crosextra-caladea fonts-urw-base35 fonts-hack \
	fonts-jetbrains-mono fonts-inconsolata fonts-quicksand fonts-adf-gillius \
	fonts-adf-universalis fonts-adf-switzera fonts-adf-mekanus fonts-monoid fonts-firacode \
	fonts-ubuntu-title fonts-bajaderka

fonts:
	@dpkg -s $(FONT_PACKAGES) >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null; }

test: $(STAMP) $(BROWSER) fonts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/accuracy.py

# Held-out randomised boards (seeds from 10000, never looked at while developing), each
# beside the bare model; see the README's Benchmark section. A run that stops goes on
# where it stopped when started again.
bench-heldout: $(STAMP) fonts
	$(BIN)/python bench/heldout.py --seeds 10000:10200 --out bench/out/heldout

bench-slice: $(STAMP) fonts
	$(BIN)/python bench/heldout.py --seeds 10000:10050 --out bench/out/heldout

bench-every-frame: $(STAMP) fonts
	$(BIN)/python bench/heldout.py --seeds 10000:10010 --every-frame --out bench/out/every-frame

bench-long: $(STAMP) fonts
	$(BIN)/python bench/heldout.py --seeds 10000:10005 --long --out bench/out/long

soak: $(STAMP)
	$(BIN)/python bench/soak.py

# Refresh the README's dashboard pictures from the browser test.
screenshots: $(STAMP) $(BROWSER)
	FOUREYES_SCREENSHOTS=$(CURDIR)/docs $(BIN)/pytest -q tests/server/test_browser.py

clean:
	rm -rf $(VENV) runs bench/out .pytest_cache .mypy_cache .ruff_cache
