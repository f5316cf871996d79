"""
### transform_dbt — raw quality suites, then one `dbt build` watched model by model, then docs

Runs whenever an extract DAG updates a raw table (Assets `warehouse.raw.*`). One run at a time: Asset events
that arrive while a run works are queued and start **one** next run that sees all of them. A run started by Asset
events first waits (up to `SELLERFLOW_TRANSFORM_SETTLE_S`, default 120 s) until no extract DAG is running, so one
build covers the whole extraction round, and skips its build when nothing landed since the last successful build
started (the round's later events queue such a run). A run triggered by hand always builds.

1. `check_raw_quality` creates, empty, any raw table dbt reads that no extraction has created yet (a seller
   without a Megamarket cabinet still gets a green run), then runs the Great Expectations suite of every
   landed raw table the reconciliation reads (required fields, ranges, volume against the
   previous run); verdicts are kept in `ops.quality_results`, and a failed suite stops the run before dbt
   reads bad data (the task log names the tables that failed).
2. `dbt_producer_watcher` starts beside `check_raw_quality` (its start-up overlaps the suites) and, once they
   passed, runs **one** `dbt build` of the project (dbt's own threads, the speed of the CLI; dbt's unit tests
   run nightly in `dbt_nightly`); it is skipped with a skipped quality task and fails, never building, when the
   suites fail. The build is the whole project once per version of the project (and when a view or seed is
   missing); other runs build the `cycle` selector (dbt/selectors.yml): incremental and table models with their
   tests, the views over tables, the tests of the pushed views, less the models nothing new reached since their
   last build (nothing landed in the raw tables they read). The other views', seeds' and quiet models' tasks end
   skipped (`dbt_nightly` builds and tests everything). The log says which and why. Every model (and seed) keeps its task in the grid, `<model>_run`. They
   all start with the build and wait in the triggerer (no worker, no pool slot), each turning green, red or
   skipped (a model whose parent failed) as dbt reports the model and its data tests; a red task's log names
   what failed with dbt's message. They do not wait for one another, so the run ends within seconds of the
   build: the graph view shows no lineage between them (the dbt docs do). Models land in `staging`,
   `intermediate` and `marts`; growing tables are incremental.
The dbt docs artifact is built nightly by `dbt_nightly`, not in this 10-minute cycle.

**Retry one failed model**: fix the cause, then *Clear* that model's task: it runs `dbt build --select <model>`
(the model and its tests) alone on a worker. A failed model task is retried once that way by itself. **A model and
what depends on it**: *Trigger* the DAG (one full `dbt build`; incremental models add only what is new), or from
the CLI `dbt build --select <model>+`. **Rerun everything**: *Clear* the whole run, or trigger the DAG: the
producer runs the full `dbt build` again and the cleared tasks follow it. A rebuild of the incremental tables
from scratch: `dbt build --full-refresh` from the CLI (README, "Transform: how dbt runs in Airflow").

All tasks run in the pool `dbt` (2 slots) at a priority below extraction, so an extraction never waits for the
transform. The dbt profile is dbt/profiles.yml: the warehouse from the `SELLERFLOW_WAREHOUSE_*` variables.
"""

from __future__ import annotations

from airflow.sdk import task
from cosmos import DbtDag

from sellerflow.orchestration.assets import RAW_ONEC_PRODUCTS
from sellerflow.orchestration.dbt import (
    any_of,
    execution_config,
    profile_config,
    project_config,
    render_config,
    watch_from_triggerer,
)
from sellerflow.orchestration.defaults import START_DATE, TRANSFORM_ARGS
from sellerflow.orchestration.marketplace_assets import all_raw_assets

transform_dbt = DbtDag(
    dag_id="transform_dbt",
    project_config=project_config(),
    profile_config=profile_config(),
    execution_config=execution_config(),
    render_config=render_config(),
    schedule=any_of(RAW_ONEC_PRODUCTS, *all_raw_assets()),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=TRANSFORM_ARGS,
    operator_args={"emit_datasets": False},  # nothing is scheduled on per-model Assets
    tags=["sellerflow", "dbt", "transform"],
    doc_md=__doc__,
)

with transform_dbt:

    @task
    def check_raw_quality(run_id: str | None = None, dag_run=None, ti=None) -> dict[str, bool | None]:
        """Create, empty, each raw table dbt reads that no extraction has created yet; then the Great Expectations
        suite of every landed raw table (one task: Airflow and GX load once); fails naming each table whose suite
        failed, after checking them all."""
        from airflow.exceptions import AirflowSkipException

        from sellerflow.orchestration import transform_gate
        from sellerflow.orchestration.dbt import prepare_raw_tables
        from sellerflow.quality.raw_checks import check_landed_tables, import_in_background
        from sellerflow.warehouse.connection import default_dsn

        def active_runs(dag_id: str) -> int:
            return ti.get_dr_count(dag_id=dag_id, states=transform_gate.ACTIVE_RUN_STATES)

        dsn = default_dsn()
        # While extractions are still landing, Great Expectations (~3 s of imports) loads beside the wait.
        skip = transform_gate.skip_reason(dag_run.run_type, active_runs, dsn, on_wait=import_in_background)
        if skip:
            print(skip)  # Airflow logs only "Skipping task."
            raise AirflowSkipException(skip)
        print(f"{prepare_raw_tables(dsn)} raw tables dbt reads are in place")
        return check_landed_tables(dsn, run_id or "manual")

    checked = check_raw_quality().operator

# The producer starts beside the quality suites and builds once they passed; every watcher task waits for both
# (orchestration/dbt.py, watch_from_triggerer).
watch_from_triggerer(transform_dbt, checked)
