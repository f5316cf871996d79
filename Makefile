# sellerflow — the two commands a newcomer needs are `make demo` and `make test`.
# Set SELLERFLOW_PRIVATE_PG=1 to force a private Postgres cluster under .sellerflow/ (CI does).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := . .sellerflow/env
PYTEST_ARGS ?=

.PHONY: help prepare setup demo test lint typecheck stop lock bench faults clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

prepare:  ## venv, Postgres server and role, .sellerflow/env, dbt manifest; creates and writes no database
	@scripts/setup.sh --prepare

setup:  ## prepare, then this installation's own databases (created or verified), Fernet key, migrations
	@scripts/setup.sh

demo: setup  ## start emulators + Airflow, run the whole pipeline once, print the UI URL and what landed
	@$(ENV) && python -m sellerflow.demo up

lint:  ## ruff lint and format check
	@$(ENV) && ruff check . && ruff format --check .

typecheck:  ## mypy over the product package (every function annotated; configured in pyproject.toml)
	@$(ENV) && mypy -p sellerflow

test: prepare lint typecheck  ## the whole test suite on a real Postgres, in throwaway databases only (PYTEST_ARGS="-k loader" to narrow)
	@$(ENV) && pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS)

stop:  ## stop what sellerflow started (emulators, Airflow, the private Postgres cluster)
	@scripts/stop.sh

lock:  ## regenerate requirements.txt from requirements.in
	@uv pip compile -q -p 3.11 requirements.in -o requirements.txt && echo "requirements.txt regenerated"

bench: prepare  ## run every benchmark in bench/; fails when one's cross-check fails
	@$(ENV) && failed=""; for b in bench/*.py; do echo "== $$b"; python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "benchmarks FAILED:$$failed"; exit 1; fi

faults: prepare  ## the fault suite (tests/faults) through the real DAGs; prints the table fault -> outcome
	@$(ENV) && rm -f .sellerflow/faults/results.json; pytest -m faults tests/faults $(PYTEST_ARGS); rc=$$?; \
	echo; python tests/faults/report.py || rc=1; exit $$rc

clean: stop  ## stop everything and delete .sellerflow/ (venv kept)
	rm -rf .sellerflow
