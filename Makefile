# Quick start: `make serve` (set-up, then the service on HOST:PORT) and `make test`.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8080
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --require-hashes --no-deps

.PHONY: venv dev-venv serve test eval eval-background lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.main-installed: requirements/main.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements/main.txt
	@touch $@

$(VENV)/.dev-installed: requirements/main.txt requirements/dev.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements/main.txt -r requirements/dev.txt
	@touch $@ $(VENV)/.main-installed

venv: $(VENV)/.main-installed
dev-venv: $(VENV)/.dev-installed

serve: venv
	$(BIN)/gunicorn --bind $(HOST):$(PORT) 'service.app:create_app()'

test: dev-venv
	$(BIN)/python -m pytest

# Scores the running service (start it with `make serve`) against the annotated sets.
eval:
	$(PYTHON) eval/score.py eval/dev.jsonl --url http://$(HOST):$(PORT)

eval-background:
	$(PYTHON) eval/score.py eval/background-dev.jsonl --url http://$(HOST):$(PORT)

# Re-resolves the pinned, hash-checked dependency locks from requirements/*.in.
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras -o main.txt main.in
	cd requirements && ../$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras -o dev.txt dev.in

clean:
	rm -rf $(VENV) .pytest_cache
