"""
### dbt_nightly — what the 10-minute transform leaves out: every data test on every row, and the docs

1. `test_every_row`: `transform_dbt` runs each incremental model's data tests on the rows that cycle re-read
   only (dbt `where` config `__this_cycle__`, `dbt/macros/tests_of_the_cycle.sql`), so a 10-minute cycle does
   not re-check a year of history. Here `dbt test` runs on the whole project with var
   `test_this_cycle_only: false`: every data test (and unit test) over every row. A failure names a row an
   earlier cycle wrote: fix the data or the model, then rebuild what it touched
   (`dbt build --full-refresh -s <model>+`). Trigger the DAG by hand after an upgrade.
2. `generate_docs` (whatever the tests said): `dbt docs generate`, kept as the site (index.html,
   manifest.json, catalog.json) in `$SELLERFLOW_DOCS_DIR` (default `.sellerflow/dbt_docs/`). Compiling every
   model and reading the catalog takes longer than the rest of a cycle's work, so it is not in the cycle.
"""

from __future__ import annotations

from airflow.sdk import dag
from cosmos.operators.local import DbtDocsLocalOperator, DbtTestLocalOperator

from sellerflow.orchestration.dbt import DBT_PROJECT_DIR, execution_config, profile_config
from sellerflow.orchestration.defaults import START_DATE, TRANSFORM_ARGS


@dag(
    schedule="0 0 * * *",  # midnight UTC, 03:00 in Moscow
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=TRANSFORM_ARGS,
    tags=["sellerflow", "dbt", "nightly", "quality"],
    doc_md=__doc__,
)
def dbt_nightly() -> None:
    dbt = {
        "project_dir": DBT_PROJECT_DIR,
        "profile_config": profile_config(),
        "invocation_mode": execution_config().invocation_mode,
        "install_deps": False,
    }
    tests = DbtTestLocalOperator(task_id="test_every_row", vars={"test_this_cycle_only": False}, **dbt)
    docs = DbtDocsLocalOperator(
        task_id="generate_docs",
        callback="sellerflow.quality.artifacts.keep_docs",
        trigger_rule="all_done",
        **dbt,
    )
    tests >> docs


dbt_nightly()
