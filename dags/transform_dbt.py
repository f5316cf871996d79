"""
### transform_dbt — raw quality suites, then the dbt project (a task per model, its tests after it), then docs

Runs whenever an extract DAG updates a raw table (Assets `warehouse.raw.*`):

1. `prepare_raw_tables` creates, empty, any raw table dbt reads that no extraction has created yet (a seller
   without a Megamarket cabinet still gets a green run); then `check_raw_quality` — the Great Expectations suite of every landed raw table the reconciliation reads
   (required fields, ranges, volume against the previous run), one mapped task per table; verdicts are kept
   in `ops.quality_results`, and a failed suite stops the run before dbt reads bad data.
2. The dbt models, rendered by Cosmos from `dbt/target/manifest.json`, each followed by its tests; models
   land in the `staging`, `intermediate` and `marts` schemas. Growing tables are incremental.
3. `generate_docs` — `dbt docs generate`, kept as the artifact in `$SELLERFLOW_DOCS_DIR`.

The dbt profile comes from the Airflow connection `sellerflow_warehouse`.
"""

from __future__ import annotations

from airflow.sdk import AssetAny, task
from cosmos import DbtDag
from cosmos.operators.local import DbtDocsLocalOperator

from sellerflow.orchestration.assets import RAW_ONEC_PRODUCTS
from sellerflow.orchestration.dbt import (
    DBT_PROJECT_DIR,
    execution_config,
    profile_config,
    project_config,
    render_config,
)
from sellerflow.orchestration.defaults import DEFAULT_ARGS, START_DATE
from sellerflow.orchestration.marketplace_assets import all_raw_assets
from sellerflow.quality.suites import RAW_SUITE_TABLES

transform_dbt = DbtDag(
    dag_id="transform_dbt",
    project_config=project_config(),
    profile_config=profile_config(),
    execution_config=execution_config(),
    render_config=render_config(),
    schedule=AssetAny(RAW_ONEC_PRODUCTS, *all_raw_assets()),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 1},
    tags=["sellerflow", "dbt", "transform"],
    doc_md=__doc__,
)

with transform_dbt:
    models = list(transform_dbt.roots)
    leaves = list(transform_dbt.leaves)

    @task
    def prepare_raw_tables() -> int:
        """Create, empty, every raw table dbt reads that no extraction has created yet (a cabinet not in use)."""
        from sellerflow.orchestration.dbt import raw_source_tables
        from sellerflow.warehouse.connection import default_dsn
        from sellerflow.warehouse.loader import ensure_raw_table

        tables = raw_source_tables()
        for source, entity in tables:
            ensure_raw_table(default_dsn(), source, entity)
        return len(tables)

    @task
    def check_raw_quality(table: str, run_id: str | None = None) -> bool:
        """Great Expectations suite of raw.<table> (skipped until the table has landed)."""
        from sellerflow.quality.raw_checks import check_landed_table
        from sellerflow.warehouse.connection import default_dsn

        return check_landed_table(default_dsn(), table, run_id or "manual") is not None

    generate_docs = DbtDocsLocalOperator(
        task_id="generate_docs",
        project_dir=DBT_PROJECT_DIR,
        profile_config=profile_config(),
        invocation_mode=execution_config().invocation_mode,
        callback="sellerflow.quality.artifacts.keep_docs",
        install_deps=False,
    )
    prepare_raw_tables() >> check_raw_quality.expand(table=list(RAW_SUITE_TABLES)) >> models
    leaves >> generate_docs
