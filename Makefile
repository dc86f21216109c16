# Two commands do everything on a fresh Linux machine with Python 3.11:
#   make run    start the web app (installs on first use; builds the index on first start)
#   make test   run the tests (all of them, as CI does)
# While changing code, `make quick` runs the tests that are neither slow nor in the browser.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test quick install benchmark study clean chromium deploy deploy-tools

run: $(VENV)/.installed
	$(BIN)/python app.py

test: $(VENV)/.installed chromium deploy-tools
	$(BIN)/python -m pytest

quick: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not slow and not browser"

# The browser tests drive Debian's Chromium (never `playwright install`, which downloads one).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The replicated deployment on this machine (docs/deployment.md): llama.cpp's llama-server built
# once from the llama-cpp-python sdist (~10 min on 2 cores), nginx from Debian.
deploy: deploy-tools
	$(BIN)/python -m recommender deploy

deploy-tools: $(VENV)/.installed $(BIN)/llama-server
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

$(BIN)/llama-server: requirements.txt
	scripts/build_llama_server.sh $(VENV)

study: $(VENV)/.installed
	$(BIN)/python app.py --study studies/explanations.toml

benchmark: $(VENV)/.installed
	$(BIN)/python -m recommender benchmark

install: $(VENV)/.installed

# torch is pinned to 2.13.0, the CPU build; llama-cpp-python compiles once (~10 min on 2 cores),
# after which pip reuses its cached wheel.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	touch $@

clean:
	rm -rf $(VENV) .index
