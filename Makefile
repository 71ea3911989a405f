# selfeval: `make help` lists the targets. `make run` and `make test` need nothing but Python 3.11+.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
YEAR ?= 2022
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY ?= false
export PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS ?= false

.PHONY: help venv system run serve screenshots automations test lint typecheck check lock sample variants bench clean clean-data

help: ## List the targets
	@if [ -t 1 ]; then on='\033[36m'; off='\033[0m'; else on=; off=; fi; \
	grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -v year='$(YEAR)' -v on="$$on" -v off="$$off" \
		'BEGIN {FS = ":.*?## "}; { gsub(/\$$\(YEAR\)/, year, $$2); gsub(/\$$\$$/, "$$", $$2); \
		printf "  %s%-12s%s %s\n", on, $$1, off, $$2 }'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install selfeval with its dev extras (locked by constraints.txt)

system: ## Install the fonts and libraries the PDF needs, when missing (needs root and apt-get)
	@deploy/system-packages.sh

run: $(STAMP) system ## Build the $(YEAR) reports (md, html, docx, pdf) of the bundled sample into out/
	$(BIN)/selfeval run --year $(YEAR)
	$(BIN)/selfeval rollup --year $(YEAR)

test: $(STAMP) ## Run the whole test suite (PostgreSQL tests use SELFEVAL_TEST_PG_URL or 127.0.0.1:5432/test)
	@deploy/system-packages.sh --tests $(if $(filter true,$(CI)),--strict,)
	$(BIN)/python -m pytest

screenshots: $(STAMP) ## Retake the operator guide's screenshots with the browser tests; copy them into docs/images
	@deploy/system-packages.sh --tests
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider
	$(BIN)/python -m tests.e2e.screenshots

serve: $(STAMP) system ## Start a Prefect server on 127.0.0.1:4200 and serve the deployments (Ctrl-C stops both)
	$(BIN)/python -m flows.serve

automations: $(STAMP) ## Create the alerting automations on $$PREFECT_API_URL; BLOCK=<type>/<name> of a notification block
	$(BIN)/selfeval automations --block "$(BLOCK)"

lint: $(STAMP) ## ruff (style, imports, no stray prints) and import-linter (the rooms' layers, .importlinter)
	$(BIN)/ruff check flows tasks tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy
	$(BIN)/mypy

check: lint typecheck test ## Everything CI should see

lock: ## Re-resolve dependencies and rewrite constraints.txt
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet -e '.[dev]' \
	  && .lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt && rm -rf .lockenv

sample: $(STAMP) ## Regenerate data/sample (deterministic) from tasks/synth/sample.py, and its variants
	rm -rf data/sample/finance data/sample/statistics data/sample/registry
	$(BIN)/python -m tasks.synth.sample data/sample
	$(MAKE) variants

variants: $(STAMP) ## Regenerate data/variants (XLSX, GBK, API fixtures) from data/sample
	$(BIN)/python -m tasks.synth.variants data/sample data/variants

bench: $(STAMP) ## Run every benchmark and rewrite bench/results.md (the city at 5M lines takes ~15 min)
	$(BIN)/python -m bench.bench_load --rows 1000000
	$(BIN)/python -m bench.bench_validate --rows 1000000
	$(BIN)/python -m bench.bench_readers --rows 1000000
	$(BIN)/python -m bench.bench_city --points 10000 100000 1000000 5000000
	$(BIN)/python -m bench.bench_monitoring --rows 1000000 5000000
	$(BIN)/python -m bench.bench_form

clean: ## Remove the tools' caches (keeps the warehouse var/, the reports out/ and .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache

clean-data: ## Delete the default warehouse var/ (every year loaded into it) and the reports out/: asks first
	@printf '将删除本目录下的 var/（默认数据仓库，含所有已入库年度）和 out/（报告），不一定是 SELFEVAL_WAREHOUSE_URL、SELFEVAL_OUTPUT_DIR 所指的。确定？（delete var/ and out/ here?）[y/N] '; \
	read answer; case "$$answer" in y|Y|yes) rm -rf var out; echo '已删除（deleted）';; *) echo '未删除（kept）';; esac
