"""
### dbt_nightly — what the 10-minute transform leaves out: the dbt docs artifact

Every night, `generate_docs` runs `dbt docs generate` on the warehouse and keeps the site (index.html,
manifest.json, catalog.json) in `$SELLERFLOW_DOCS_DIR` (default `.sellerflow/dbt_docs/`). It is not part of
`transform_dbt`: compiling every model and reading the catalog takes longer than the rest of a cycle's work.
Trigger it by hand after changing the dbt project to refresh the docs at once.
"""

from __future__ import annotations

from airflow.sdk import dag
from cosmos.operators.local import DbtDocsLocalOperator

from sellerflow.orchestration.dbt import DBT_PROJECT_DIR, execution_config, profile_config
from sellerflow.orchestration.defaults import START_DATE, TRANSFORM_ARGS


@dag(
    schedule="30 2 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=TRANSFORM_ARGS,
    tags=["sellerflow", "dbt", "nightly"],
    doc_md=__doc__,
)
def dbt_nightly() -> None:
    DbtDocsLocalOperator(
        task_id="generate_docs",
        project_dir=DBT_PROJECT_DIR,
        profile_config=profile_config(),
        invocation_mode=execution_config().invocation_mode,
        callback="sellerflow.quality.artifacts.keep_docs",
        install_deps=False,
    )


dbt_nightly()
