"""
### test_dbt_nightly — every dbt data test on every row, once a night

`transform_dbt` runs each incremental model's data tests on the rows that cycle re-read only (dbt `where`
config `__this_cycle__`, `dbt/macros/tests_of_the_cycle.sql`), so a 10-minute cycle does not re-check a year of
history. This DAG runs `dbt test` on the whole project with var `test_this_cycle_only: false`: every data test
(and unit test) over every row. A failure here names a row an earlier cycle wrote: fix the data or the model,
then rebuild what it touched (`dbt build --full-refresh -s <model>+`). Trigger it by hand after an upgrade.
"""

from __future__ import annotations

from airflow.sdk import dag
from cosmos.operators.local import DbtTestLocalOperator

from sellerflow.orchestration.dbt import DBT_PROJECT_DIR, execution_config, profile_config
from sellerflow.orchestration.defaults import START_DATE, TRANSFORM_ARGS


@dag(
    schedule="@daily",  # midnight UTC, 03:00 in Moscow
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=TRANSFORM_ARGS,
    tags=["sellerflow", "dbt", "nightly", "quality"],
    doc_md=__doc__,
)
def test_dbt_nightly() -> None:
    DbtTestLocalOperator(
        task_id="test_every_row",
        project_dir=DBT_PROJECT_DIR,
        profile_config=profile_config(),
        invocation_mode=execution_config().invocation_mode,
        vars={"test_this_cycle_only": False},
        install_deps=False,
    )


test_dbt_nightly()
