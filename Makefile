# sellerflow — the two commands a newcomer needs are `make demo` and `make test`.
# Set SELLERFLOW_PRIVATE_PG=1 to force a private Postgres cluster under .sellerflow/ (CI does).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := . .sellerflow/env
PYTEST_ARGS ?=

.PHONY: help setup demo test lint stop lock bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## venv, Postgres, .sellerflow/env, migrations, dbt manifest (both demo and test run it)
	@scripts/setup.sh

demo: setup  ## start emulators + Airflow, run the whole pipeline once, print the UI URL and what landed
	@$(ENV) && python -m sellerflow.demo up

lint:  ## ruff lint and format check
	@$(ENV) && ruff check . && ruff format --check .

test: setup lint  ## run the whole test suite against a real Postgres (PYTEST_ARGS="-k loader" to narrow)
	@$(ENV) && pytest $(PYTEST_ARGS)

stop:  ## stop what sellerflow started (emulators, Airflow, the private Postgres cluster)
	@scripts/stop.sh

lock:  ## regenerate requirements.txt from requirements.in
	@uv pip compile -q -p 3.11 requirements.in -o requirements.txt && echo "requirements.txt regenerated"

bench: setup  ## run the benchmarks in bench/
	@$(ENV) && for b in bench/*.py; do echo "== $$b"; python $$b || exit 1; done

clean: stop  ## stop everything and delete .sellerflow/ (venv kept)
	rm -rf .sellerflow
