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

# gunicorn reads every other setting from the environment (gunicorn.conf.py, docs/operations.md).
serve: venv
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py 'service.app:create_app()'

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

# The playground's browser test (tests/browser) drives Debian's Chromium through ChromeDriver.
# Installs them when missing (root, apt-get); the test itself does the same where it can.
.PHONY: browser-deps test-browser test-spark lock-spark
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

test-browser: dev-venv browser-deps
	$(BIN)/python -m pytest -rs tests/browser

# The optional Spark extra from its hash-checked lock, then its local-mode test. Needs Java 17+.
$(VENV)/.spark-installed: requirements/spark.txt | $(VENV)/.dev-installed
	$(PIP_INSTALL) -r requirements/spark.txt
	@touch $@

test-spark: dev-venv $(VENV)/.spark-installed
	@command -v java >/dev/null || { echo "Spark needs Java 17+ on PATH (Debian: openjdk-17-jre-headless)"; exit 1; }
	$(BIN)/python -m pytest -rs tests/spark

# Re-resolves the Spark extra's lock within the service's (run after `make lock`).
lock-spark:
	$(BIN)/python -m pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras -o spark.txt spark.in

# --- Container image and Kubernetes manifests (docs/deploying.md) ---
.PHONY: image container-smoke validate-manifests lock-deploy
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
IMAGE ?= event-extraction:latest
BASE_IMAGE ?= python:3.11-slim
# Kubernetes versions whose API schemas (bundled by kubernetes-validate) the manifests must meet.
KUBERNETES_VERSIONS ?= 1.25.0 1.37.0

image:
	$(CONTAINER_ENGINE) build --build-arg BASE_IMAGE=$(BASE_IMAGE) \
		--build-arg VERSION=$$($(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])') \
		--build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
		--build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) -t $(IMAGE) .

# Builds the image with podman, runs it read-only and non-root, extracts, stops it (minutes).
container-smoke:
	bash scripts/container-smoke.sh

$(VENV)/.deploy-installed: requirements/deploy.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements/deploy.txt
	@touch $@

# Offline: the schemas ship inside the kubernetes-validate package.
validate-manifests: $(VENV)/.deploy-installed
	@for version in $(KUBERNETES_VERSIONS); do \
		$(BIN)/kubernetes-validate --strict --quiet --kubernetes-version $$version deploy/kubernetes/*.yaml || exit 1; \
	done
	@echo "deploy/kubernetes/*.yaml: valid against the Kubernetes $(KUBERNETES_VERSIONS) schemas (strict)"

# Re-resolves the deployment tools' lock within the service's and the tests' (after `make lock`).
lock-deploy:
	$(BIN)/python -m pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --allow-unsafe --generate-hashes --no-emit-index-url \
		--no-emit-find-links --strip-extras -o deploy.txt deploy.in

# The measurements behind docs/operations.md and docs/reliability.md; all but the first start
# their own server on 127.0.0.1.
.PHONY: bench-request-cost bench-slow-clients soak soak-memory
bench-request-cost: venv
	$(BIN)/python benchmarks/request_cost.py

bench-slow-clients: venv
	$(BIN)/python benchmarks/slow_clients.py

# Load at several concurrencies, slow headers, kill -9 a worker, SIGTERM the master (about 12 minutes).
soak: venv
	$(BIN)/python benchmarks/soak.py

# The same phases for seconds each: checks the harness and the fault targets (CI); about 2 minutes.
.PHONY: soak-quick
soak-quick: venv
	$(BIN)/python benchmarks/soak.py --quick

# 50 000 requests of made-up names: does a worker's memory stay flat (about 7 minutes)?
soak-memory: venv
	$(BIN)/python benchmarks/memory_soak.py

# Raw spaCy against the service on the same texts in one run; writes benchmarks/RESULTS.md.
.PHONY: bench bench-quick
bench: venv
	$(BIN)/python benchmarks/bench.py

# A short run that only checks the harness still works (CI); it judges no figure.
bench-quick: venv
	$(BIN)/python benchmarks/bench.py --quick

# CPU time of each step of one request against the bare pipeline's steps (in-process profile).
.PHONY: bench-request-path
bench-request-path: venv
	$(BIN)/python benchmarks/request_path.py
